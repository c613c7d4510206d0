"""UpdateExpressions from attribute paths: every name and value behind a placeholder, so no attribute
name, map key (an event id, a PSP's refund reference with a dot in it) or reserved word can break one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Path = tuple[str, ...]


@dataclass
class Update:
    """One UpdateItem's expression, condition and placeholders, built clause by clause."""

    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)  # plain values; `request` serialises them
    _sets: list[str] = field(default_factory=list)
    _removes: list[str] = field(default_factory=list)
    _conditions: list[str] = field(default_factory=list)

    def name(self, path: Path | str) -> str:
        """The placeholder path of an attribute path, e.g. ("notifications", "evt_x") -> "#n0.#n1"."""
        parts = (path,) if isinstance(path, str) else path
        placeholders = []
        for part in parts:
            placeholder = next((key for key, known in self.names.items() if known == part), None)
            if placeholder is None:
                placeholder = f"#n{len(self.names)}"
                self.names[placeholder] = part
            placeholders.append(placeholder)
        return ".".join(placeholders)

    def value(self, plain: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = plain
        return placeholder

    def set(self, path: Path | str, plain: Any) -> Update:
        """Set (or, with None, remove) one attribute or map entry."""
        if plain is None:
            self._removes.append(self.name(path))
        else:
            self._sets.append(f"{self.name(path)} = {self.value(plain)}")
        return self

    def assign(self, changes: dict[Path, Any]) -> Update:
        for path, plain in changes.items():
            self.set(path, plain)
        return self

    def add(self, path: Path | str, amount: int) -> Update:
        """Add `amount` to a number, as DynamoDB reads it at the write (missing counts as 0)."""
        target = self.name(path)
        self._sets.append(f"{target} = if_not_exists({target}, {self.value(0)}) + {self.value(amount)}")
        return self

    def default(self, path: Path | str, plain: Any) -> Update:
        """Set an attribute only if it is missing."""
        target = self.name(path)
        self._sets.append(f"{target} = if_not_exists({target}, {self.value(plain)})")
        return self

    def append(self, path: Path | str, entries: list[Any]) -> Update:
        target = self.name(path)
        empty, added = self.value([]), self.value(entries)
        self._sets.append(f"{target} = list_append(if_not_exists({target}, {empty}), {added})")
        return self

    def when(self, condition: str) -> Update:
        self._conditions.append(condition)
        return self

    def request(self, to_item: Any) -> dict[str, Any]:
        """The UpdateItem arguments (all but the table and key); `to_item` serialises the values."""
        update = "SET " + ", ".join(self._sets) if self._sets else ""
        if self._removes:
            update += (" " if update else "") + "REMOVE " + ", ".join(self._removes)
        request: dict[str, Any] = {"UpdateExpression": update, "ExpressionAttributeNames": self.names}
        if self.values:
            request["ExpressionAttributeValues"] = to_item(self.values)
        if self._conditions:
            request["ConditionExpression"] = " AND ".join(f"({c})" for c in self._conditions)
        return request
