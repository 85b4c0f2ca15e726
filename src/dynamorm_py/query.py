"""Query primitives: sort-key conditions, filters, pages and cursors (defined in ``dynamorm_py._blocks``)."""

from __future__ import annotations

from ._blocks.cursor import Cursor, decode_cursor, encode_cursor, sign_cursor, verify_cursor
from ._blocks.filters import FilterCondition, FilterExpression, FilterGroup, LogicalOp
from ._blocks.key_conditions import SortKeyCondition
from ._blocks.page import Page

__all__ = [
    "Cursor",
    "FilterCondition",
    "FilterExpression",
    "FilterGroup",
    "LogicalOp",
    "Page",
    "SortKeyCondition",
    "decode_cursor",
    "encode_cursor",
    "sign_cursor",
    "verify_cursor",
]
