#!/usr/bin/env python3
"""Derive the limits Zuora states for the request bodies of the vendored subset (whose schemas
were vendored without them) from Zuora's official Python SDK, pinned in derive-zuora-contracts.py.

The subset's request schemas (POSTAccountType, PostInvoiceItemType, ProxyCreateUsage, ...) are
the same wire objects as SDK models (CreateAccountRequest, CreateInvoiceItem, CreateUsageRequest,
...); SUBSET_TO_SDK pairs them. For every property both share, the overlay records:

  * maxLength / maxItems / minItems where the SDK model's schema states it (machine-readable:
    always preferred);
  * otherwise a limit the SDK's field description states in words ("**Character limit**: 16",
    "up to 50 characters", "50 characters or less", "The maximum number of ... is 5"): as
    maxLength on string fields, as `x-character-limit` on other fields (e.g. usage `Quantity`,
    a number whose text Zuora limits to 16 characters). Phrases that are not limits
    (PROSE_NOT_LIMITS) are skipped.

Each constraint carries `x-source` (model.field and which of the two it came from). Properties the
flows send that the subset's schema lacks but the SDK model has (ADD_FROM_SDK, e.g. an invoice
item's `description`) are added with the SDK's type and limits (`x-added-properties`). The
simulator applies the overlay when it loads the contract (src/common/openapi.ts mergeDocuments).

Usage: derive-zuora-constraints.sh (creates the virtualenv), or inside it:
    python derive-zuora-constraints.py --subset contracts/zuora/zuora-openapi-subset.yaml -o OUT.yaml
"""
from __future__ import annotations

import argparse
import importlib.util
import pathlib
import re
import sys
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location('derive', HERE / 'derive-zuora-contracts.py')
assert _spec and _spec.loader
derive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(derive)

# Subset request schema -> SDK model of the same wire object (same operation in all_ops: the
# SDK's body model of POST /v1/accounts, PUT /v1/accounts/{account-key}, POST /v1/invoices,
# POST /v1/object/usage, and the models those reference for contacts and items).
SUBSET_TO_SDK = {
    'POSTAccountType': 'CreateAccountRequest',
    'POSTAccountTypeBillToContact': 'CreateAccountContact',
    'POSTAccountTypeSoldToContact': 'CreateAccountContact',
    'PUTAccountType': 'UpdateAccountRequest',
    'PUTAccountTypeBillToContact': 'UpdateAccountContact',
    'PUTAccountTypeSoldToContact': 'UpdateAccountContact',
    'PostInvoiceType': 'CreateInvoiceRequest',
    'PostInvoiceItemType': 'CreateInvoiceItem',
    'PostDiscountItemType': 'CreateDiscountItem',
    'PostTaxationItemType': 'CreateTaxationItem',
    'ProxyCreateUsage': 'CreateUsageRequest',
}

LIMIT = re.compile(
    r'\*\*Character limit\*\*:\s*(\d+)'
    r'|up to ([\d,]+) characters'
    r'|([\d,]+) characters or (?:less|fewer)'
    r'|[Mm]ax(?:imum)? length:?\s*(?:of\s*)?(\d+)'
    r'|maximum number of [\w ]+ is ([\d,]+)'
)
# Properties of SDK models the subset's schema does not list, added to it (the flows send them).
ADD_FROM_SDK = {
    'PostInvoiceItemType': ['description'],
}

# Wording the pattern catches that is not a length limit of the field.
PROSE_NOT_LIMITS = {
    ('CreateAccountContact', 'state'),   # "name or 2-character abbreviation": a format, not a length
    ('UpdateAccountContact', 'state'),
}


def _props(schema: dict[str, Any]) -> dict[str, Any]:
    """Properties of a subset schema, looking through allOf (the subset nests them there)."""
    out: dict[str, Any] = dict(schema.get('properties') or {})
    for part in schema.get('allOf') or []:
        out.update(part.get('properties') or {})
    return out


def _prose_limit(text: str) -> int | None:
    hits = [int(next(g for g in m if g).replace(',', '')) for m in LIMIT.findall(text or '')]
    return min(hits) if hits else None


def _field(sdk_prop: dict[str, Any]) -> dict[str, Any]:
    """The SDK property with Optional[...] (anyOf [X, null]) unwrapped."""
    for branch in sdk_prop.get('anyOf') or []:
        if branch.get('type') != 'null' and 'nullable' not in branch:
            return {**branch, 'description': sdk_prop.get('description', branch.get('description'))}
    return sdk_prop


def constraints(subset: dict[str, Any]) -> dict[str, Any]:
    schemas = subset['components']['schemas']
    sdk = derive.build_components(sorted(set(SUBSET_TO_SDK.values())), True)
    out: dict[str, Any] = {}
    for name, model in SUBSET_TO_SDK.items():
        if name not in schemas:
            continue
        ours = _props(schemas[name])
        theirs = sdk[model].get('properties', {})
        entry: dict[str, Any] = {}
        for prop, mine in sorted(ours.items()):
            if prop not in theirs:
                continue
            f = _field(theirs[prop])
            c: dict[str, Any] = {}
            for key in ('maxLength', 'maxItems', 'minItems'):
                if key in f and key not in mine:
                    c[key] = f[key]
            source = 'schema'
            if not c and (model, prop) not in PROSE_NOT_LIMITS:
                limit = _prose_limit(f.get('description', ''))
                if limit is not None:
                    source = 'description'
                    if mine.get('type') == 'array':
                        c['maxItems'] = limit
                    elif mine.get('type') == 'string' and 'maxLength' not in mine:
                        c['maxLength'] = limit
                    elif mine.get('type') != 'string':
                        c['x-character-limit'] = limit
            if c:
                c['x-source'] = f'{derive.DERIVED_FROM} {model}.{prop} ({source})'
                entry[prop] = c
        if entry:
            out[name] = entry
    return out


def added_properties(subset: dict[str, Any]) -> dict[str, Any]:
    schemas = subset['components']['schemas']
    sdk = derive.build_components(sorted({SUBSET_TO_SDK[n] for n in ADD_FROM_SDK}), True)
    out: dict[str, Any] = {}
    for name, props in ADD_FROM_SDK.items():
        model = SUBSET_TO_SDK[name]
        for prop in props:
            if prop in _props(schemas[name]):
                derive._die(f'{name}.{prop} is already in the subset: remove it from ADD_FROM_SDK')
            f = _field(sdk[model]['properties'][prop])
            kept = {k: f[k] for k in ('type', 'format', 'maxLength', 'minLength', 'enum') if k in f}
            out.setdefault(name, {})[prop] = {**kept, 'x-source': f'{derive.DERIVED_FROM} {model}.{prop}'}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--subset', required=True)
    ap.add_argument('-o', '--output', required=True)
    args = ap.parse_args()
    import yaml
    derive.check_sdk(False)
    with open(args.subset, encoding='utf-8') as fh:
        subset = yaml.safe_load(fh)
    doc = {
        'x-derived-from': derive.DERIVED_FROM,
        'x-pairs': SUBSET_TO_SDK,
        'x-constraints': constraints(subset),
        'x-added-properties': added_properties(subset),
    }
    with open(args.output, 'w', encoding='utf-8') as fh:
        fh.write('# Generated by scripts/derive-zuora-constraints.py: do not edit by hand.\n')
        yaml.safe_dump(doc, fh, sort_keys=False, allow_unicode=True, width=1000)
    n = sum(len(v) for v in doc['x-constraints'].values())
    print(f'wrote {args.output}: {n} constraints on {len(doc["x-constraints"])} schemas ({derive.DERIVED_FROM})', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
