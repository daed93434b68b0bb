#!/usr/bin/env python3
"""Derive an OpenAPI 3.0 fragment for Zuora operations beyond the vendored subset, from Zuora's
official Python SDK (PyPI `zuora-sdk`, pinned below) -- never from memory.

What is read, and from where:
  * operations: `zuora_sdk/api/*.py`. Each generated method `foo` has a `_foo_serialize` helper
    holding the wire facts (HTTP method, resource_path, which argument goes to which path/query/
    header/form/body name, content types); `foo` holds `_response_types_map` and the typed,
    pydantic-annotated signature (max_length etc. of parameters).
  * schemas: the pydantic v2 models in `zuora_sdk/models`, via `model_json_schema(by_alias=True)`
    (JSON field names as on the wire), plus facts the SDK keeps outside pydantic's schema:
    enum and pattern checks written as `@field_validator`s, and spec nullability recorded in
    `to_dict()` (`_dict['alias'] = None` for fields the spec marks `nullable`).

Usage (inside a virtualenv where `zuora-sdk==3.21.0` is installed):
    python derive-zuora-contracts.py -o zuora-sdk-derived.yaml [--subset PATH] [--descriptions]
    python derive-zuora-contracts.py --op 'PUT /v1/invoices/{invoiceKey}/reverse' ...   # other ops

Output: an OpenAPI 3.0.0 document (paths + components/schemas) with `x-derived-from` on the
document, on every operation and on every schema. The pydantic-to-OpenAPI conversions applied are
listed in CONVERSIONS (also written into the output's `info.x-conversions`).
"""
from __future__ import annotations

import argparse
import ast
import enum
import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import re
import sys
import typing
from typing import Any

SDK_DIST = 'zuora-sdk'
SDK_VERSION = '3.21.0'
DERIVED_FROM = f'{SDK_DIST} {SDK_VERSION}'

# The operations the project needs beyond the vendored subset (method, resource_path as in the SDK).
# Each is simulated by packages/simulators (a contract test checks every vendored operation is).
DEFAULT_OPERATIONS = [
    ('GET', '/v1/subscriptions/accounts/{account-key}'),   # SubscriptionsApi.get_subscriptions_by_account
]
# Models emitted as components only (their operation is in the subset, under other schema names):
# the SDK's standalone-invoice body, whose items carry `description`, `discountItems`, `taxItems`.
DEFAULT_MODELS: list[str] = []

# Corrections the SDK's own text demands, applied unless --no-overrides and recorded in the output
# (x-sdk-override on the schema). Each cites the SDK wording that justifies it.
OVERRIDES = {
    'CreditMemoItemFromChargeDetail': {
        'relax_required': ['chargeId', 'productRatePlanChargeId'],
        'why': 'the SDK marks both required, but its descriptions make them alternatives by Zuora-Version: '
               'chargeId "is not available if you set the zuora-version request header to 257.0 or later", '
               'productRatePlanChargeId "is only available if you set the zuora-version request header to 257.0 or later"',
    },
}

CONVERSIONS = [
    'pydantic $defs -> components/schemas (ref_template #/components/schemas/{model}); field names by alias (wire names)',
    'Optional[X] (anyOf [X, null]) -> X + nullable: true in schemas reachable only from responses (the SDK parses null into every Optional field); in schemas sent by the client, nullable only where the SDK to_dict() records the spec field as nullable (the SDK sends no other null); a nullable $ref becomes anyOf [$ref, {type, nullable: true, enum: [null]}] and a nullable enum lists null (what ajv in openapi-backend accepts; allOf [$ref] + nullable does not admit null, and nullable without type does not compile)',
    'Decimal (anyOf [number, string] in validation mode) -> type: number',
    'Union[StrictFloat, StrictInt] (anyOf [number, integer]) -> type: number',
    'the SDK-internal `additional_properties` field is dropped (it collects unknown keys such as custom fields; OpenAPI 3.0 allows extra keys by default)',
    'enums checked by @field_validator (value not in set([...])) -> enum (on items for list fields); regex validators -> pattern',
    'string fields whose enum the SDK dropped (typed StrictStr, enum class still imported but unused) -> enum of the imported class when the names match, marked x-sdk-enum-recovered-from',
    'JSON Schema 2020-12 leftovers -> OpenAPI 3.0: exclusiveMinimum/Maximum numbers -> minimum/maximum + boolean, examples[] -> example; auto titles and default: null dropped',
    'Authorization header parameter dropped (security: bearerAuth carries it)',
]


def _die(msg: str) -> typing.NoReturn:
    print(f'derive_zuora_contracts: {msg}', file=sys.stderr)
    sys.exit(2)


# ----------------------------------------------------------------------------------- SDK checks
def check_sdk(allow_other: bool) -> dict[str, str]:
    try:
        installed = importlib.metadata.version(SDK_DIST)
    except importlib.metadata.PackageNotFoundError:
        _die(f'{SDK_DIST} is not installed: pip install {SDK_DIST}=={SDK_VERSION}')
    if installed != SDK_VERSION and not allow_other:
        _die(f'{SDK_DIST} {installed} installed, this script is pinned to {SDK_VERSION}')
    import pydantic
    import zuora_sdk.configuration as cfg
    m = re.search(r'Version of the API: ([^\\\n"]+)', inspect.getsource(cfg))
    return {
        'package': SDK_DIST,
        'version': installed,
        'apiDocumentVersion': m.group(1).strip() if m else 'unknown',
        'pydantic': pydantic.VERSION,
        'script': 'derive_zuora_contracts.py',
    }


# ------------------------------------------------------------------------------ operations (API)
INTERNAL_ARGS = {'self', '_request_timeout', '_request_auth', '_content_type', '_headers', '_host_index'}


def _var(node: ast.AST) -> str | None:
    """`x` or `x.value` (enum-typed arguments are sent by value)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and node.attr == 'value' and isinstance(node.value, ast.Name):
        return node.value.id
    return None


def _str_list(node: ast.AST) -> list[str]:
    if isinstance(node, (ast.List, ast.Tuple)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _serialize_facts(fn: ast.FunctionDef) -> dict[str, Any]:
    facts: dict[str, Any] = {'map': {}, 'method': None, 'path': None, 'ctypes': [], 'collection': {}}
    for node in ast.walk(fn):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.target.id == '_collection_formats' and isinstance(node.value, ast.Dict):
            for k, v in zip(node.value.keys, node.value.values):
                if isinstance(k, ast.Constant) and isinstance(v, ast.Constant):
                    facts['collection'][k.value] = v.value
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            t, src = node.targets[0], _var(node.value)
            if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and src:
                where = {'_path_params': 'path', '_header_params': 'header', '_files': 'file'}.get(t.value.id)
                key = t.slice.value if isinstance(t.slice, ast.Constant) else None
                if where and isinstance(key, str):
                    facts['map'][src] = (where, key)
            if isinstance(t, ast.Name) and t.id == '_body_params' and src:
                facts['map'][src] = ('body', src)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            f = node.func
            if f.attr == 'append' and isinstance(f.value, ast.Name) and f.value.id in ('_query_params', '_form_params'):
                arg = node.args[0] if node.args else None
                if isinstance(arg, ast.Tuple) and len(arg.elts) == 2 and isinstance(arg.elts[0], ast.Constant):
                    var = _var(arg.elts[1])
                    if var:
                        facts['map'][var] = ('query' if f.value.id == '_query_params' else 'form', arg.elts[0].value)
            if f.attr == 'param_serialize':
                for kw in node.keywords:
                    if kw.arg in ('method', 'resource_path') and isinstance(kw.value, ast.Constant):
                        facts['method' if kw.arg == 'method' else 'path'] = kw.value.value
            if f.attr == 'select_header_content_type' and node.args:
                facts['ctypes'] = _str_list(node.args[0])
    return facts


def _response_map(fn: ast.FunctionDef) -> dict[str, str | None]:
    for node in ast.walk(fn):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.target.id == '_response_types_map' and isinstance(node.value, ast.Dict):
            return {k.value: (v.value if isinstance(v, ast.Constant) else None)
                    for k, v in zip(node.value.keys, node.value.values)}
    return {}


def load_operations(paths: set[str] | None = None) -> list[dict[str, Any]]:
    """Every operation of the SDK, or only those of the API modules that mention one of `paths`."""
    import pkgutil
    import zuora_sdk.api
    ops = []
    for info in pkgutil.iter_modules(zuora_sdk.api.__path__):
        if paths is not None:
            origin = importlib.util.find_spec(f'zuora_sdk.api.{info.name}').origin
            with open(origin, encoding='utf-8') as fh:
                text = fh.read()
            if not any(f"resource_path='{p}'" in text for p in paths):
                continue
        module = importlib.import_module(f'zuora_sdk.api.{info.name}')
        tree = ast.parse(inspect.getsource(module))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            funcs = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}
            for name, fn in funcs.items():
                if name.startswith('_') or name.endswith(('_with_http_info', '_without_preload_content')):
                    continue
                ser = funcs.get(f'_{name}_serialize')
                if ser is None:
                    continue
                facts = _serialize_facts(ser)
                target = inspect.unwrap(getattr(getattr(module, cls.name), name))
                hints = typing.get_type_hints(target, include_extras=True)
                params = []
                for pname, p in inspect.signature(target).parameters.items():
                    if pname in INTERNAL_ARGS:
                        continue
                    where, wire = facts['map'].get(pname, (None, pname))
                    if where is None:
                        _die(f'{cls.name}.{name}: cannot tell where argument {pname} goes')
                    params.append({'python': pname, 'name': wire, 'in': where,
                                   'required': p.default is inspect.Parameter.empty,
                                   'annotation': hints.get(pname),
                                   'collection': facts['collection'].get(wire)})
                doc = ast.get_docstring(fn) or ''
                ops.append({'module': info.name, 'class': cls.name, 'function': name,
                            'method': facts['method'], 'path': facts['path'],
                            'summary': doc.split('\n\n')[0].strip(),
                            'description': doc.split('\n\n:param')[0].split('\n\n', 1)[1].strip()
                            if '\n\n' in doc.split('\n\n:param')[0] else '',
                            'params': params, 'responses': _response_map(fn),
                            'content_types': facts['ctypes']})
    return ops


# ------------------------------------------------------------------------------ model facts (AST)
_model_facts_cache: dict[type, dict[str, Any]] = {}


def _enum_classes_in(annotation: Any) -> set[type]:
    out: set[type] = set()
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        out.add(annotation)
    for a in typing.get_args(annotation):
        out |= _enum_classes_in(a)
    return out


def _is_plain_str(annotation: Any) -> bool:
    """str / Optional[str] / List[str] without further constraints (how the SDK types a dropped enum)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if annotation is str:
        return True
    if origin is typing.Annotated:
        return args[0] is str and not any(getattr(m, 'max_length', None) or getattr(m, 'pattern', None)
                                          for m in typing.get_args(annotation)[1:])
    if origin is typing.Union and len(args) == 1:
        return _is_plain_str(args[0])
    return False


def model_facts(cls: type) -> dict[str, Any]:
    """Enum/pattern validators, spec-nullable aliases, and dropped-enum recoveries of one model."""
    if cls in _model_facts_cache:
        return _model_facts_cache[cls]
    facts: dict[str, Any] = {'enum': {}, 'items_enum': {}, 'pattern': {}, 'nullable': set(), 'recovered': {}, 'ambiguous': {}}
    try:
        module = sys.modules[cls.__module__]
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError, KeyError):
        _model_facts_cache[cls] = facts
        return facts
    cdef = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls.__name__), None)
    fields = cls.model_fields
    alias = {n: (f.alias or n) for n, f in fields.items()}
    for fn in (n for n in (cdef.body if cdef else []) if isinstance(n, ast.FunctionDef)):
        field_names = [d.args[0].value for d in fn.decorator_list
                       if isinstance(d, ast.Call) and getattr(d.func, 'id', None) == 'field_validator'
                       and d.args and isinstance(d.args[0], ast.Constant)]
        for node in ast.walk(fn):
            # enum: `if value not in set([...])` or, for lists, `for i in value: if i not in set([...])`
            if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.NotIn) \
                    and isinstance(node.comparators[0], ast.Call) and getattr(node.comparators[0].func, 'id', None) == 'set':
                values = _str_list(node.comparators[0].args[0]) if node.comparators[0].args else []
                key = 'items_enum' if isinstance(node.left, ast.Name) and node.left.id == 'i' else 'enum'
                for fname in field_names:
                    facts[key][alias.get(fname, fname)] = values
            # pattern: `if not re.match(r"...", value)`
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == 'match' \
                    and getattr(node.func.value, 'id', None) == 're' and node.args and isinstance(node.args[0], ast.Constant):
                for fname in field_names:
                    facts['pattern'][alias.get(fname, fname)] = node.args[0].value
        if fn.name == 'to_dict':
            for node in ast.walk(fn):
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is None:
                    t = node.targets[0]
                    if isinstance(t, ast.Subscript) and getattr(t.value, 'id', None) == '_dict' \
                            and isinstance(t.slice, ast.Constant):
                        facts['nullable'].add(t.slice.value)
    # dropped enums: enum classes imported by the model's module but used by no field annotation
    imported = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or '').startswith('zuora_sdk.models.'):
            for a in node.names:
                obj = getattr(module, a.asname or a.name, None)
                if isinstance(obj, type) and issubclass(obj, enum.Enum):
                    imported[obj.__name__] = obj
    used = set()
    for f in fields.values():
        used |= {e.__name__ for e in _enum_classes_in(f.annotation)}
    unused = {n: c for n, c in imported.items() if n not in used}
    norm = lambda s: re.sub(r'[^a-z0-9]', '', s.lower())
    for fname, f in fields.items():
        a = alias[fname]
        if not unused or a in facts['enum'] or f.description or not _is_plain_str(f.annotation):
            continue
        cands = [c for n, c in unused.items()
                 if norm(n) == norm(a) or norm(n).startswith(norm(a)) or norm(n).endswith(norm(a))
                 or norm(a).startswith(norm(n))]
        if len(cands) == 1:
            facts['recovered'][a] = cands[0]
        elif len(cands) > 1:
            facts['ambiguous'][a] = sorted(c.__name__ for c in cands)
    _model_facts_cache[cls] = facts
    return facts


# --------------------------------------------------------------------------- JSON Schema -> 3.0
def _generator():
    from pydantic.json_schema import GenerateJsonSchema

    class OpenApi30(GenerateJsonSchema):
        def decimal_schema(self, schema):  # Decimal is a JSON number on Zuora's wire
            return {'type': 'number'}

    return OpenApi30


def _collapse(s: Any) -> Any:
    """Generic JSON-Schema-2020 -> OpenAPI-3.0 rewrites on one node (children first)."""
    if isinstance(s, list):
        return [_collapse(x) for x in s]
    if not isinstance(s, dict):
        return s
    s = {k: ({n: _collapse(x) for n, x in v.items()} if k in ('properties', '$defs') and isinstance(v, dict)
             else v if k in ('enum', 'default', 'example', 'examples', 'const', 'required')
             else _collapse(v)) for k, v in s.items()}
    s.pop('title', None)
    if 'default' in s and s['default'] is None:
        del s['default']
    if 'examples' in s:
        ex = s.pop('examples')
        if isinstance(ex, list) and ex:
            s['example'] = ex[0]
    for bound, flag in (('exclusiveMinimum', 'minimum'), ('exclusiveMaximum', 'maximum')):
        if isinstance(s.get(bound), (int, float)) and not isinstance(s.get(bound), bool):
            s[flag] = s.pop(bound)
            s[bound] = True
    if 'const' in s:
        s['enum'] = [s.pop('const')]
    if 'anyOf' in s:
        branches = s['anyOf']
        non_null = [b for b in branches if b != {'type': 'null'}]
        if len(non_null) < len(branches):
            s['x-null-allowed-by-sdk'] = True   # marker, resolved by the field pass below
        if len(non_null) > 1 and all(len(b) == 1 for b in non_null) \
                and {b.get('type') for b in non_null} == {'number', 'integer'}:
            non_null = [{'type': 'number'}]
        if len(non_null) == 1:
            del s['anyOf']
            s = {**non_null[0], **s}
        else:
            s['anyOf'] = non_null
    return s


def _make_nullable(p: dict[str, Any], type_of: Any) -> None:
    """OpenAPI 3.0 nullability that ajv (openapi-backend) accepts: `nullable` needs a sibling `type`,
    an enum must list null itself, and a $ref can carry no siblings (nor can allOf [$ref] admit null)."""
    if '$ref' in p:
        ref = p.pop('$ref')
        p['anyOf'] = [{'$ref': ref}, {'type': type_of(ref) or 'object', 'nullable': True, 'enum': [None]}]
    elif 'type' in p:
        p['nullable'] = True
        if 'enum' in p and None not in p['enum']:
            p['enum'] = [*p['enum'], None]
    # a schema without `type` already admits null


def _apply_model_facts(name: str, schema: dict[str, Any], cls: type | None, keep_desc: bool,
                       response_only: bool = False, type_of: Any = lambda ref: None) -> dict[str, Any]:
    props = schema.get('properties', {})
    props.pop('additional_properties', None)
    if 'required' in schema:
        schema['required'] = [r for r in schema['required'] if r != 'additional_properties'] or None
        if schema['required'] is None:
            del schema['required']
    facts = model_facts(cls) if cls is not None else None
    for pname, p in props.items():
        allowed_null = p.pop('x-null-allowed-by-sdk', False)
        if facts:
            if pname in facts['enum']:
                p['enum'] = facts['enum'][pname]
            if pname in facts['items_enum'] and p.get('type') == 'array':
                p['items'] = {**p.get('items', {}), 'enum': facts['items_enum'][pname]}
            if pname in facts['pattern']:
                p['pattern'] = facts['pattern'][pname]
            if pname in facts['recovered']:
                enum_cls = facts['recovered'][pname]
                values = [e.value for e in enum_cls]
                if p.get('type') == 'array':
                    p['items'] = {**p.get('items', {}), 'enum': values}
                else:
                    p['enum'] = values
                p['x-sdk-enum-recovered-from'] = enum_cls.__name__
            if pname in facts['ambiguous']:
                p['x-sdk-enum-candidates'] = facts['ambiguous'][pname]   # left a plain string
            if allowed_null and (response_only or pname in facts['nullable']):
                _make_nullable(p, type_of)
    if not keep_desc:
        _strip_desc(schema)
    return schema


def _strip_desc(node: Any) -> None:
    if isinstance(node, dict):
        for k in list(node):
            if k == 'description' and isinstance(node[k], str):
                del node[k]
            elif k == 'properties':
                for v in node[k].values():
                    _strip_desc(v)
            else:
                _strip_desc(node[k])
    elif isinstance(node, list):
        for v in node:
            _strip_desc(v)


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        out = {node['$ref'].rsplit('/', 1)[1]} if isinstance(node.get('$ref'), str) else set()
        for v in node.values():
            out |= _refs(v)
        return out
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def build_components(model_names: list[str], keep_desc: bool, request_roots: set[str] | None = None,
                     overrides: bool = False) -> dict[str, Any]:
    """Component schemas for the models and everything they reference.

    request_roots: models sent by the client. Schemas reachable from them keep nullable only where
    the SDK's to_dict() says so (the SDK never sends other nulls). Schemas reachable only from the
    other (response) models get nullable on every Optional field: the SDK parses null there.
    None: the to_dict() rule everywhere.
    """
    from pydantic.json_schema import models_json_schema
    import zuora_sdk.models as models
    classes = []
    for n in model_names:
        cls = getattr(models, n, None)
        if cls is None:
            _die(f'no model {n} in zuora_sdk.models')
        if 'actual_instance' in getattr(cls, 'model_fields', {}):
            _die(f'{n} is a oneOf/anyOf wrapper (actual_instance); not supported by this script yet')
        classes.append(cls)
    _, top = models_json_schema([(c, 'validation') for c in classes], by_alias=True,
                                ref_template='#/components/schemas/{model}', schema_generator=_generator())
    defs = top.get('$defs', {})
    strict: set[str] = set(defs)
    if request_roots is not None:
        strict, todo = set(), list(request_roots)
        while todo:
            n = todo.pop()
            if n in strict or n not in defs:
                continue
            strict.add(n)
            todo += list(_refs(defs[n]))
    out: dict[str, Any] = {}
    for name in sorted(defs):
        cls = getattr(models, name, None)
        if cls is None or not (isinstance(cls, type) and (issubclass(cls, enum.Enum) or hasattr(cls, 'model_fields'))):
            _die(f'schema name {name} is not an SDK class name (pydantic renamed a duplicate?)')
        if hasattr(cls, 'model_fields') and 'actual_instance' in cls.model_fields:
            _die(f'{name} is a oneOf/anyOf wrapper (actual_instance); not supported by this script yet')
        s = _collapse(defs[name])
        if hasattr(cls, 'model_fields'):
            s = _apply_model_facts(name, s, cls, keep_desc, response_only=name not in strict,
                                   type_of=lambda ref: defs.get(ref.rsplit('/', 1)[1], {}).get('type'))
        elif not keep_desc:
            _strip_desc(s)
        ov = OVERRIDES.get(name) if overrides else None
        if ov:
            relax = set(ov.get('relax_required', []))
            s['required'] = [r for r in s.get('required', []) if r not in relax]
            if not s['required']:
                del s['required']
            s['x-sdk-override'] = {'relaxedRequired': sorted(relax), 'why': ov['why']}
        s['x-derived-from'] = DERIVED_FROM
        out[name] = s
    return out


# ------------------------------------------------------------------------------ paths
def _param_schema(annotation: Any, keep_desc: bool) -> tuple[dict[str, Any], str | None]:
    from pydantic import TypeAdapter
    schema = TypeAdapter(annotation).json_schema(ref_template='#/components/schemas/{model}',
                                                 schema_generator=_generator())
    schema = _collapse(schema)
    schema.pop('x-null-allowed-by-sdk', None)
    desc = schema.pop('description', None)
    if '$defs' in schema:
        _die(f'parameter type {annotation} needs component schemas; not supported')
    return schema, (desc if keep_desc else None)


def _camel(name: str) -> str:
    head, *rest = name.split('_')
    return head + ''.join(p[:1].upper() + p[1:] for p in rest)


def build_operation(op: dict[str, Any], keep_desc: bool) -> tuple[dict[str, Any], set[str]]:
    refs: set[str] = set()
    out: dict[str, Any] = {
        'operationId': _camel(op['function']),
        'summary': op['summary'],
        'tags': [op['class'].removesuffix('Api')],
        'x-derived-from': DERIVED_FROM,
        'x-sdk-method': f"zuora_sdk.api.{op['module']}.{op['class']}.{op['function']}",
    }
    if keep_desc and op['description']:
        out['description'] = op['description']
    params = []
    for p in op['params']:
        if p['in'] == 'header' and p['name'].lower() == 'authorization':
            continue
        if p['in'] in ('body', 'form', 'file'):
            continue
        schema, desc = _param_schema(p['annotation'], keep_desc)
        param = {'name': p['name'], 'in': p['in'], 'required': p['required'] or p['in'] == 'path', 'schema': schema}
        if desc:
            param['description'] = desc
        if p['collection'] == 'multi':
            param['style'], param['explode'] = 'form', True
        params.append(param)
    if params:
        out['parameters'] = params
    body = next((p for p in op['params'] if p['in'] == 'body'), None)
    if body is not None:
        model = body['annotation']
        name = getattr(model, '__name__', None)
        if name is None or not hasattr(model, 'model_fields'):
            _die(f"{op['function']}: body type {model} is not an SDK model")
        refs.add(name)
        out['x-request-model'] = name
        out['requestBody'] = {'required': body['required'], 'content': {
            ct: {'schema': {'$ref': f'#/components/schemas/{name}'}} for ct in (op['content_types'] or ['application/json'])}}
    if any(p['in'] in ('form', 'file') for p in op['params']):
        _die(f"{op['function']}: form/file bodies are not supported by this script")
    responses = {}
    for code, model in op['responses'].items():
        r: dict[str, Any] = {'description': ''}
        if model:
            refs.add(model)
            r['content'] = {'application/json': {'schema': {'$ref': f'#/components/schemas/{model}'}}}
        responses[code] = r
    out['responses'] = responses
    return out, refs


# ------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('-o', '--output', default='-', help='output file (.yaml/.yml or .json); - for stdout (YAML)')
    ap.add_argument('--op', action='append', metavar='"METHOD /path"', help='operation to derive (repeatable); default: the project set')
    ap.add_argument('--model', action='append', metavar='Name', help='extra model to emit as a component (repeatable); default: CreateInvoiceRequest')
    ap.add_argument('--subset', help='vendored subset YAML: fail if an operation is already there, report schema-name clashes')
    ap.add_argument('--descriptions', action='store_true', help='keep SDK descriptions (prose); stripped by default like vendor-contracts.ts')
    ap.add_argument('--strict-response-nulls', action='store_true',
                    help='nullable only where the SDK to_dict() records it, in responses too (default: response-only schemas accept null on every optional field, as the SDK does when parsing)')
    ap.add_argument('--schema-prefix', default='', help='prefix for every component name (to merge into the subset without name clashes)')
    ap.add_argument('--no-overrides', action='store_true', help='emit the SDK schemas without the OVERRIDES corrections')
    ap.add_argument('--allow-other-version', action='store_true', help=f'run with a zuora-sdk other than {SDK_VERSION}')
    args = ap.parse_args(argv)

    details = check_sdk(args.allow_other_version)
    wanted = [tuple(o.split(' ', 1)) for o in args.op] if args.op else DEFAULT_OPERATIONS
    wanted = [(m.upper(), p.strip()) for m, p in wanted]
    extra_models = args.model if args.model is not None else DEFAULT_MODELS

    subset = None
    if args.subset:
        import yaml
        with open(args.subset, encoding='utf-8') as fh:
            subset = yaml.safe_load(fh)
        for m, p in wanted:
            if m.lower() in (subset.get('paths', {}).get(p) or {}):
                _die(f'{m} {p} is already in the subset {args.subset}')

    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for op in load_operations({p for _, p in wanted}):
        by_key.setdefault((op['method'], op['path']), []).append(op)
    paths: dict[str, Any] = {}
    refs: set[str] = set(extra_models)
    for m, p in wanted:
        found = by_key.get((m, p))
        if not found:
            _die(f'the SDK has no operation {m} {p}')
        if len(found) > 1:
            _die(f'{m} {p} is ambiguous in the SDK: {[o["function"] for o in found]}')
        operation, r = build_operation(found[0], args.descriptions)
        refs |= r
        paths.setdefault(p, {})[m.lower()] = operation

    request_roots = set(extra_models) | {o.pop('x-request-model') for item in paths.values()
                                         for o in item.values() if 'x-request-model' in o}
    schemas = build_components(sorted(refs), args.descriptions,
                               None if args.strict_response_nulls else request_roots,
                               overrides=not args.no_overrides)
    if args.schema_prefix:
        pre = args.schema_prefix
        schemas = {pre + k: v for k, v in schemas.items()}
        paths = json.loads(json.dumps(paths).replace('"#/components/schemas/', f'"#/components/schemas/{pre}'))
        schemas = json.loads(json.dumps(schemas).replace('"#/components/schemas/', f'"#/components/schemas/{pre}'))
    doc = {
        'openapi': '3.0.0',
        'info': {
            'title': 'Zuora operations beyond the vendored subset, derived from the official Python SDK',
            'version': details['apiDocumentVersion'],
            'x-derived-from': DERIVED_FROM,
            'x-derived-from-details': details,
            'x-conversions': CONVERSIONS,
        },
        'security': [{'bearerAuth': []}],
        'paths': paths,
        'components': {'securitySchemes': {'bearerAuth': {'type': 'http', 'scheme': 'bearer'}}, 'schemas': schemas},
    }
    if subset is not None:
        clash = sorted(set(schemas) & set(subset.get('components', {}).get('schemas', {})))
        doc['info']['x-schema-names-also-in-subset'] = clash
        if clash:
            print(f'note: {len(clash)} schema names also exist in the subset: {", ".join(clash)}', file=sys.stderr)

    if args.output == '-' or args.output.endswith(('.yaml', '.yml')):
        import yaml
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1000)
    else:
        text = json.dumps(doc, indent=2, ensure_ascii=False) + '\n'
    if args.output == '-':
        sys.stdout.write(text)
    else:
        with open(args.output, 'w', encoding='utf-8') as fh:
            fh.write(text)
        print(f'wrote {args.output}: {len(paths)} paths, {len(schemas)} schemas ({DERIVED_FROM}, API document {details["apiDocumentVersion"]})', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
