import assert from 'node:assert/strict';
import { addDrift, driftTotal, emptyDriftCounts, type DriftItem } from '../../src/flows/index.js';
import {
  compareInvoice,
  compareTogaiAccount,
  compareUsage,
  compareZuoraAccount,
  orphanOfInvoice,
  togaiInvoiceIdOfUsageKey,
} from '../../src/mapping/reconcile.js';
import { togaiAccountIdFor } from '../../src/mapping/zuora-account-to-togai.js';
import { usageRecordKey } from '../../src/shared/idempotency.js';

const FIELDS = { accountTogaiAccountId: 'TogaiAccountId__c', accountTogaiCustomerId: 'TogaiCustomerId__c' };
const NS = 'zuora';

describe('reconciliation comparisons (pure)', () => {
  describe('Zuora account → Togai account', () => {
    const zuora = { zuoraAccountId: 'z1', togaiAccountId: 'acct-1', togaiCustomerId: 'cust-1' };

    it('a pair linked on both sides is no drift; an account without Togai ids is not checked here', () => {
      const togai = { togaiAccountId: 'acct-1', togaiCustomerId: 'cust-1', mappedZuoraAccountId: 'z1' };
      assert.deepEqual(compareZuoraAccount(zuora, togai, FIELDS, NS), []);
      assert.deepEqual(compareZuoraAccount({ zuoraAccountId: 'z2' }, undefined, FIELDS, NS), []);
    });

    it('Togai lost its mapping: link-broken, repaired by flow 1 on the Zuora account', () => {
      const [item, ...rest] = compareZuoraAccount(
        zuora,
        { togaiAccountId: 'acct-1', togaiCustomerId: 'cust-1' },
        FIELDS,
        NS,
      );
      assert.equal(rest.length, 0);
      assert.equal(item?.kind, 'link-broken');
      assert.deepEqual(item?.ids, {
        zuoraAccountId: 'z1',
        togaiAccountId: 'acct-1',
        togaiCustomerId: 'cust-1',
      });
      assert.deepEqual(item?.repairBy, { flow: 'syncZuoraAccountToTogai', id: 'z1' });
      assert.equal(item?.repairable, true);
    });

    it('Togai maps the account to another Zuora account: link-broken, for a person', () => {
      const items = compareZuoraAccount(
        zuora,
        { togaiAccountId: 'acct-1', togaiCustomerId: 'cust-1', mappedZuoraAccountId: 'z9' },
        FIELDS,
        NS,
      );
      assert.deepEqual(
        items.map((i) => [i.kind, i.repairable]),
        [['link-broken', false]],
      );
      assert.match(items[0]?.detail ?? '', /z9/);
    });

    it('a Togai id Togai does not know: orphan', () => {
      const items = compareZuoraAccount(zuora, undefined, FIELDS, NS);
      assert.deepEqual(
        items.map((i) => [i.kind, i.ids.zuoraAccountId, i.ids.togaiAccountId, i.repairable]),
        [['orphan', 'z1', 'acct-1', false]],
      );
    });

    it('another customer id in Zuora: link-broken, repaired by flow 1 (it rewrites the fields)', () => {
      const items = compareZuoraAccount(
        { ...zuora, togaiCustomerId: 'cust-other' },
        { togaiAccountId: 'acct-1', togaiCustomerId: 'cust-1', mappedZuoraAccountId: 'z1' },
        FIELDS,
        NS,
      );
      assert.deepEqual(
        items.map((i) => [i.kind, i.repairBy?.flow]),
        [['link-broken', 'syncZuoraAccountToTogai']],
      );
    });
  });

  describe('Togai account → Zuora account', () => {
    it('no mapping: not linked from Togai; both sides agree: no drift', () => {
      assert.deepEqual(
        compareTogaiAccount({ togaiAccountId: 'a', togaiCustomerId: 'c' }, undefined, FIELDS, NS),
        [],
      );
      assert.deepEqual(
        compareTogaiAccount(
          { togaiAccountId: 'a', togaiCustomerId: 'c', mappedZuoraAccountId: 'z1' },
          { zuoraAccountId: 'z1', togaiAccountId: 'a' },
          FIELDS,
          NS,
        ),
        [],
      );
    });

    it('the mapped Zuora account is gone: link-broken, for a person', () => {
      const [item] = compareTogaiAccount(
        { togaiAccountId: 'a', togaiCustomerId: 'c', mappedZuoraAccountId: 'z-gone' },
        undefined,
        FIELDS,
        NS,
      );
      assert.equal(item?.kind, 'link-broken');
      assert.equal(item?.ids.zuoraAccountId, 'z-gone');
      assert.equal(item?.repairable, false);
    });

    it('Zuora lost its field: flow 1 repairs an account it made (deterministic id), else a person', () => {
      const made = togaiAccountIdFor('z1');
      const [byFlow1] = compareTogaiAccount(
        { togaiAccountId: made, togaiCustomerId: 'c', mappedZuoraAccountId: 'z1' },
        { zuoraAccountId: 'z1' },
        FIELDS,
        NS,
      );
      assert.equal(byFlow1?.kind, 'link-broken');
      assert.deepEqual(byFlow1?.repairBy, { flow: 'syncZuoraAccountToTogai', id: 'z1' });
      const [fromTogai] = compareTogaiAccount(
        { togaiAccountId: 'acct-from-togai', togaiCustomerId: 'c', mappedZuoraAccountId: 'z1' },
        { zuoraAccountId: 'z1' },
        FIELDS,
        NS,
      );
      assert.equal(fromTogai?.repairable, false);
      assert.match(fromTogai?.detail ?? '', /set TogaiAccountId__c to acct-from-togai/);
    });
  });

  describe('invoices (Togai-invoices mode)', () => {
    const togai = {
      togaiInvoiceId: 'inv.1',
      togaiAccountId: 'acct-1',
      currency: 'USD',
      togaiTotal: '1.5015',
      expectedTotal: '1.50',
      noZuoraInvoice: false,
    };

    it('present once with the total at the currency precision: no drift', () => {
      assert.deepEqual(compareInvoice(togai, [{ zuoraInvoiceId: 'zi1', amount: '1.5' }]), []);
    });

    it('missing: repaired by the invoice sync; not due (empty invoice): no drift', () => {
      const [item] = compareInvoice(togai, []);
      assert.equal(item?.kind, 'invoice-missing');
      assert.deepEqual(item?.repairBy, { flow: 'syncTogaiInvoiceToZuora', id: 'inv.1' });
      assert.deepEqual(compareInvoice({ ...togai, noZuoraInvoice: true }, []), []);
    });

    it('twice: invoice-duplicated with both Zuora ids, not repaired', () => {
      const [item] = compareInvoice(togai, [
        { zuoraInvoiceId: 'zi1', amount: '1.50' },
        { zuoraInvoiceId: 'zi2', amount: '1.50' },
      ]);
      assert.equal(item?.kind, 'invoice-duplicated');
      assert.deepEqual(item?.ids.zuoraInvoiceIds, ['zi1', 'zi2']);
      assert.equal(item?.repairable, false);
    });

    it('another total, even by a minor unit: total-mismatch with both amounts, not repaired', () => {
      const [item] = compareInvoice(togai, [{ zuoraInvoiceId: 'zi1', zuoraAccountId: 'z1', amount: '1.51' }]);
      assert.equal(item?.kind, 'total-mismatch');
      assert.equal(item?.ids.zuoraInvoiceId, 'zi1');
      assert.match(item?.detail ?? '', /1\.5015 USD \(1\.50 at USD's precision\).*1\.51 USD/);
      assert.equal(item?.repairable, false);
    });
  });

  describe('usage records (Zuora-bills-usage mode)', () => {
    const key = (m: string) => usageRecordKey('inv.1', m);
    const expected = [
      { usageMeterId: 'um.calls', key: key('um.calls'), quantity: '1000' },
      { usageMeterId: 'um.gb', key: key('um.gb'), quantity: '12.5' },
    ];

    it('one record per line with its quantity: no drift', () => {
      assert.deepEqual(
        compareUsage('inv.1', expected, [
          { zuoraUsageId: 'u1', key: key('um.calls'), quantity: '1000.0' },
          { zuoraUsageId: 'u2', key: key('um.gb'), quantity: '12.50' },
        ]),
        [],
      );
    });

    it('a missing record is repairable; another quantity or an extra record is reported', () => {
      const items = compareUsage('inv.1', expected, [
        { zuoraUsageId: 'u2', key: key('um.gb'), quantity: '12' },
        { zuoraUsageId: 'u3', key: key('um.old'), quantity: '1' },
      ]);
      assert.deepEqual(
        items.map((i) => [i.kind, i.ids.usageMeterId ?? null, i.ids.zuoraUsageId ?? null, i.repairable]),
        [
          ['usage-mismatch', 'um.calls', null, true],
          ['usage-mismatch', 'um.gb', 'u2', false],
          ['usage-mismatch', null, 'u3', false],
        ],
      );
    });
  });

  it('orphans name the Zuora object and the unknown Togai invoice; usage keys name their invoice', () => {
    assert.deepEqual(orphanOfInvoice({ zuoraUsageId: 'u1' }, 'inv.ghost', 'TogaiUsageKey__c').ids, {
      zuoraUsageId: 'u1',
      togaiInvoiceId: 'inv.ghost',
    });
    assert.equal(togaiInvoiceIdOfUsageKey(usageRecordKey('inv:odd id', 'um.1')), 'inv:odd id');
    assert.equal(togaiInvoiceIdOfUsageKey('something-else'), undefined);
  });

  it('the report counts every item and lists at most maxPerKind per kind', () => {
    const report = { counts: emptyDriftCounts(), items: [] as DriftItem[] };
    const orphan = (n: number): DriftItem => orphanOfInvoice({ zuoraInvoiceId: `zi${n}` }, `inv${n}`, 'F__c');
    addDrift(report, [1, 2, 3].map(orphan), 2);
    assert.equal(report.counts.orphan, 3);
    assert.deepEqual(
      report.items.map((i) => i.ids.zuoraInvoiceId),
      ['zi1', 'zi2'],
    );
    assert.equal(driftTotal(report.counts), 3);
  });
});
