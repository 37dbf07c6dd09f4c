"""Generic read/search over the model specs: domains, orders, ``fields``, dotted paths.

``read`` and ``search`` work on any model through its :class:`~mocks.fulfil.specs.ModelSpec`,
so domains, orders and ``fields`` behave the same everywhere; dotted paths (``party.name``,
``lines.product.code``) follow relations. Equality and wildcard-free (i)like clauses on an
indexed field narrow the candidates through the model's case-folded indexes before the
domain is evaluated on each. Writing is model-specific (``catalog.py``, ``orders.py``,
``workflow.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mocks.fulfil.domain import Clause, Group, matches, parse_domain, parse_order
from mocks.fulfil.errors import NotFound, UserError
from mocks.fulfil.specs import Context, ModelSpec

if TYPE_CHECKING:
    from mocks.fulfil.models import FulfilModel

INDEXES: dict[tuple[str, str], str] = {
    ("product.product", "code"): "product.code",
    ("sale.sale", "reference"): "sale.reference",
    ("sale.sale", "channel_identifier"): "sale.channel_identifier",
    ("party.party", "email"): "party.mechanism",
    ("party.party", "phone"): "party.mechanism",
    ("party.party", "contact_mechanisms.value"): "party.mechanism",
}
"""(model, field path) -> name of the model's value index that covers it."""


class Orm:
    """Generic read/search over :class:`ModelSpec` tables of one model instance."""

    def __init__(self, model: FulfilModel, specs: dict[str, ModelSpec]) -> None:
        self.model = model
        self.specs = specs

    def spec(self, name: str) -> ModelSpec:
        """The spec of ``name``; an unknown model is a 404."""
        spec = self.specs.get(name)
        if spec is None:
            raise NotFound(f'Model "{name}" does not exist.')
        return spec

    def table(self, spec: ModelSpec) -> dict[int, Any]:
        """The records of ``spec`` by id."""
        table: dict[int, Any] = getattr(self.model, spec.table)
        return table

    def checker(self, spec: ModelSpec) -> Callable[[str], None]:
        """Raise UserError unless a dotted path names real fields all the way."""

        def check(path: str) -> None:
            current = spec
            parts = path.split(".")
            for i, part in enumerate(parts):
                fld = current.fields.get(part)
                if fld is None:
                    raise UserError(f'Field "{part}" does not exist on model "{current.name}".')
                if i < len(parts) - 1:
                    if fld.target is None:
                        raise UserError(
                            f'Field "{part}" of model "{current.name}" is not a relation; '
                            f'cannot follow "{path}".'
                        )
                    current = self.spec(fld.target)

        return check

    def values(self, spec: ModelSpec, obj: Any, path: str, ctx: Context) -> list[Any]:
        """Every value a dotted path reaches from ``obj`` (several through one-to-many)."""
        head, _, rest = path.partition(".")
        fld = spec.fields[head]
        value = fld.get(self.model, obj, ctx)
        if not rest:
            return list(value) if fld.kind == "one2many" else [value]
        assert fld.target is not None
        target = self.spec(fld.target)
        ids = value if fld.kind == "one2many" else ([] if value is None else [value])
        table = self.table(target)
        out: list[Any] = []
        for rid in ids:
            if rid in table:
                out.extend(self.values(target, table[rid], rest, ctx))
        return out

    def _path_is_multi(self, spec: ModelSpec, path: str) -> bool:
        current = spec
        for part in path.split("."):
            fld = current.fields[part]
            if fld.kind == "one2many":
                return True
            if fld.target is not None:
                current = self.spec(fld.target)
        return False

    def render(
        self, spec: ModelSpec, obj: Any, fields: Iterable[str] | None, ctx: Context
    ) -> dict[str, Any]:
        """One record as ``read`` returns it; all fields when ``fields`` is None."""
        names = list(spec.fields) if fields is None else ["id", *(f for f in fields if f != "id")]
        out: dict[str, Any] = {}
        for name in names:
            values = self.values(spec, obj, name, ctx)
            if "." in name:
                out[name] = values if self._path_is_multi(spec, name) else (values or [None])[0]
            else:
                out[name] = values if spec.fields[name].kind == "one2many" else values[0]
        return out

    def check_fields(self, spec: ModelSpec, fields: list[str] | None) -> None:
        """Validate a ``fields`` list."""
        if fields is None:
            return
        check = self.checker(spec)
        for name in fields:
            if not isinstance(name, str):
                raise UserError(f"Invalid field name {name!r}: expected a string.")
            check(name)

    def search(
        self,
        spec: ModelSpec,
        domain: Any,
        *,
        offset: int = 0,
        limit: int | None = None,
        order: Any = None,
        ctx: Context,
    ) -> list[Any]:
        """Records matching ``domain``, ordered (default: id ascending*), then sliced."""
        check = self.checker(spec)
        tree: Group = parse_domain(domain, check)
        pairs = parse_order(order, check)

        def getter(obj: Any) -> Callable[[str], list[Any]]:
            return lambda path: self.values(spec, obj, path, ctx)

        def sort_key(path: str) -> Callable[[Any], tuple[int, Any]]:
            return lambda obj: _sort_key(self.values(spec, obj, path, ctx))

        hits = [obj for obj in self._candidates(spec, tree) if matches(tree, getter(obj))]
        hits.sort(key=lambda o: o.id)
        for path, descending in reversed(pairs):
            hits.sort(key=sort_key(path), reverse=descending)
        end = None if limit is None else offset + limit
        return hits[offset:end]

    def _candidates(self, spec: ModelSpec, tree: Group) -> Iterable[Any]:
        """The records an AND domain can match: narrowed by an indexed clause, else all."""
        table = self.table(spec)
        if tree.op != "AND":
            return table.values()
        for node in tree.items:
            if not isinstance(node, Clause):
                continue
            if node.field == "id" and node.operator in ("=", "in"):
                wanted = node.value if node.operator == "in" else [node.value]
                ids = [i for i in wanted if isinstance(i, int) and not isinstance(i, bool)]
                return [table[i] for i in sorted(set(ids)) if i in table]
            index = INDEXES.get((spec.name, node.field))
            value = node.value
            exact = isinstance(value, str) and (
                node.operator == "="
                or (node.operator in ("like", "ilike") and not any(ch in value for ch in "%_"))
            )
            if index is not None and exact:
                return [table[i] for i in self.model.lookup(index, value) if i in table]
        return table.values()

    def get(self, spec: ModelSpec, rid: Any) -> Any:
        """A record by id; a missing one is a UserError, as Tryton's read of deleted ids."""
        if isinstance(rid, bool) or not isinstance(rid, int):
            raise UserError(f'Invalid id {rid!r} for model "{spec.name}": expected an integer.')
        obj = self.table(spec).get(rid)
        if obj is None:
            raise UserError(
                f'The record "{spec.name},{rid}" does not exist or has been deleted.',
                description=f'Model "{spec.name}", id {rid}.',
            )
        return obj


def _sort_key(values: list[Any]) -> tuple[int, Any]:
    value = values[0] if values else None
    return (0, 0) if value is None else (1, value)
