import { addDays, toDateOnly } from '../clock.js';
import { stableGuid } from '../ids.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import type { Store } from '../store/store.js';
import { computeTotals, listPrice, money } from '../write/pricing.js';
import { additionContext } from './seedOrganisation.js';

/**
 * The sample catalogue and pipeline: units, products (one draft, one retired), two active price
 * lists and an expired one, competitors, and product lines, quotes and an order on some of the
 * seeded opportunities. Ids are derived from names and nothing is drawn from the organisation's
 * PRNG, so the rest of the sample org is unchanged; idempotent, so a saved organisation gets these
 * rows when it is loaded.
 */

interface ProductSeed {
  key: string;
  name: string;
  number: string;
  price: number;
  unit: 'each' | 'seat' | 'day';
  type: 1 | 3 | 4;
  description: string;
  state?: 0 | 1 | 2;
}

const PRODUCTS: readonly ProductSeed[] = [
  { key: 'laptop', name: 'Surface Laptop 7', number: 'SL7-15', price: 1499, unit: 'each', type: 1, description: '15-inch business laptop, 32 GB, 1 TB.' },
  { key: 'wifi', name: 'Managed Wi-Fi access point', number: 'NET-AP6', price: 649, unit: 'each', type: 1, description: 'Wi-Fi 6E access point with three years of cloud management.' },
  { key: 'espresso', name: 'Espresso machine E200', number: 'CAF-E200', price: 2890, unit: 'each', type: 1, description: 'Two-group commercial espresso machine.' },
  { key: 'tablet', name: 'Field service tablet', number: 'TAB-FS10', price: 899, unit: 'each', type: 1, description: 'Rugged 10-inch tablet with LTE.' },
  { key: 'scanner', name: 'Barcode scanner', number: 'SCN-2D', price: 249, unit: 'each', type: 1, description: 'Cordless 2D barcode scanner.' },
  { key: 'camera', name: 'Security camera', number: 'CAM-4K', price: 389, unit: 'each', type: 1, description: '4K outdoor camera with night vision.' },
  { key: 'room', name: 'Conference room kit', number: 'ROOM-M', price: 4200, unit: 'each', type: 1, description: 'Camera bar, speakerphone and touch controller for a medium room.' },
  { key: 'backup', name: 'Cloud backup, per seat and year', number: 'SVC-BKP', price: 96, unit: 'seat', type: 3, description: 'Managed backup of devices and mailboxes.' },
  { key: 'crm', name: 'CRM implementation, per consultant day', number: 'SVC-CRM', price: 1350, unit: 'day', type: 3, description: 'Implementation services by a senior consultant.' },
  { key: 'training', name: 'Staff training, per seat', number: 'SVC-TRN', price: 180, unit: 'seat', type: 4, description: 'Half-day instructor-led training.' },
  { key: 'robot', name: 'Warehouse robot (pilot)', number: 'ROB-P1', price: 38000, unit: 'each', type: 1, description: 'Autonomous picking robot, pilot programme.', state: 2 },
  { key: 'scanner-old', name: 'Barcode scanner (previous model)', number: 'SCN-1D', price: 149, unit: 'each', type: 1, description: 'Corded 1D scanner, no longer sold.', state: 1 },
];

const COMPETITORS = [
  { key: 'fabrikam', name: 'Fabrikam Systems', website: 'https://www.fabrikam.com', strengths: 'Low price on hardware bundles.', weaknesses: 'Thin services team; slow support.', keyproduct: 'Fabrikam Office Bundle' },
  { key: 'litware', name: 'Litware Solutions', website: 'https://www.litwareinc.com', strengths: 'Strong CRM consulting bench.', weaknesses: 'No hardware offering.', keyproduct: 'Litware CRM Accelerator' },
  { key: 'northwind', name: 'Northwind Traders', website: 'https://www.northwindtraders.com', strengths: 'Regional presence and fast delivery.', weaknesses: 'Limited catalogue.', keyproduct: 'Northwind Retail Kit' },
  { key: 'tailspin', name: 'Tailspin Toys & Tech', website: 'https://www.tailspintoys.com', strengths: 'Aggressive discounts.', weaknesses: 'Frequent stock shortages.', keyproduct: 'Tailspin Field Tablet' },
] as const;

export const PIPELINE_IDS = {
  retail: stableGuid('pricelevel:retail'),
  partner: stableGuid('pricelevel:partner'),
  expired: stableGuid('pricelevel:retail-previous'),
  product: (key: string) => stableGuid(`product:${key}`),
  uom: (key: string) => stableGuid(`uom:${key}`),
  competitor: (key: string) => stableGuid(`competitor:${key}`),
};

export function seedSalesPipeline(store: Store, model: MetadataModel, anchor: Date): void {
  if (!model.table('product') || !model.table('quote')) return;
  const { ins, admin: adminId, exists, stamp } = additionContext(store, model, anchor);
  const year = anchor.getUTCFullYear();
  store.transaction(() => {
    const schedule = stableGuid('uomschedule:default');
    if (!exists('uomschedule', 'uomscheduleid', schedule)) ins.insert('uomschedule', { uomscheduleid: schedule, name: 'Default Unit', baseuomname: 'Primary Unit', ...stamp });
    for (const [key, name] of [
      ['each', 'Primary Unit'],
      ['seat', 'Seat'],
      ['day', 'Consultant day'],
    ] as const) {
      const id = PIPELINE_IDS.uom(key);
      if (!exists('uom', 'uomid', id)) ins.insert('uom', { uomid: id, name, uomscheduleid: schedule, quantity: 1, ...stamp });
    }
    const lists = [
      { id: PIPELINE_IDS.retail, name: `Retail ${year}`, begin: `${year}-01-01`, end: `${year}-12-31`, factor: 1, state: 0 },
      { id: PIPELINE_IDS.partner, name: `Partner ${year}`, begin: `${year}-01-01`, end: `${year}-12-31`, factor: 0.85, state: 0 },
      { id: PIPELINE_IDS.expired, name: `Retail ${year - 1}`, begin: `${year - 1}-01-01`, end: `${year - 1}-12-31`, factor: 0.95, state: 1 },
    ];
    for (const l of lists) {
      if (exists('pricelevel', 'pricelevelid', l.id)) continue;
      ins.insert('pricelevel', {
        pricelevelid: l.id,
        name: l.name,
        description: l.factor === 1 ? 'List prices.' : l.state === 1 ? 'Last year\'s list prices.' : 'Reseller prices: 15% below list.',
        begindate: l.begin,
        enddate: l.end,
        statecode: l.state,
        statuscode: l.state === 0 ? 100001 : 100002,
        ...stamp,
      });
    }
    for (const p of PRODUCTS) {
      const id = PIPELINE_IDS.product(p.key);
      if (exists('product', 'productid', id)) continue;
      const state = p.state ?? 0;
      ins.insert('product', {
        productid: id,
        name: p.name,
        productnumber: p.number,
        description: p.description,
        price: p.price,
        standardcost: money(p.price * 0.62),
        currentcost: money(p.price * 0.6),
        quantitydecimal: 0,
        productstructure: 1,
        producttypecode: p.type,
        defaultuomscheduleid: schedule,
        defaultuomid: PIPELINE_IDS.uom(p.unit),
        pricelevelid: PIPELINE_IDS.retail,
        statecode: state,
        statuscode: state === 0 ? 1 : state === 1 ? 2 : 0,
        ...stamp,
      });
      if (state === 2) continue;
      for (const l of lists) {
        const itemId = stableGuid(`productpricelevel:${l.id}:${p.key}`);
        if (exists('productpricelevel', 'productpricelevelid', itemId)) continue;
        ins.insert('productpricelevel', {
          productpricelevelid: itemId,
          pricelevelid: l.id,
          productid: id,
          uomid: PIPELINE_IDS.uom(p.unit),
          amount: money(p.price * l.factor),
          pricingmethodcode: 1,
          ...stamp,
        });
      }
    }
    for (const c of COMPETITORS) {
      const id = PIPELINE_IDS.competitor(c.key);
      if (exists('competitor', 'competitorid', id)) continue;
      ins.insert('competitor', { competitorid: id, name: c.name, websiteurl: c.website, strengths: c.strengths, weaknesses: c.weaknesses, keyproduct: c.keyproduct, overview: `${c.name} competes with us on ${c.keyproduct}.`, ...stamp });
    }

    // Every open opportunity is priced from the retail list; a handful carry product lines.
    const open = store.all(`SELECT opportunityid, ownerid, customerid, name FROM opportunity WHERE statecode = 0 ORDER BY opportunityid`);
    for (const o of open) if (typeof o.opportunityid === 'string') store.run(`UPDATE opportunity SET pricelevelid = ? WHERE opportunityid = ? AND pricelevelid IS NULL`, [PIPELINE_IDS.retail, o.opportunityid]);
    const active = PRODUCTS.filter((p) => (p.state ?? 0) === 0);
    open.slice(0, 12).forEach((o, i) => {
      const oppId = String(o.opportunityid);
      const owner = typeof o.ownerid === 'string' ? o.ownerid : adminId;
      const lines = [active[i % active.length]!, active[(i * 3 + 1) % active.length]!].slice(0, 1 + (i % 2));
      lines.forEach((p, j) => {
        const lineId = stableGuid(`opportunityproduct:${oppId}:${p.key}`);
        if (exists('opportunityproduct', 'opportunityproductid', lineId)) return;
        const quantity = 5 + ((i * 7 + j * 3) % 40);
        const price = listPrice(store, PIPELINE_IDS.retail, PIPELINE_IDS.product(p.key), PIPELINE_IDS.uom(p.unit)) ?? p.price;
        const base = money(price * quantity);
        ins.insert('opportunityproduct', {
          opportunityproductid: lineId,
          opportunityproductname: p.name,
          opportunityid: oppId,
          productid: PIPELINE_IDS.product(p.key),
          uomid: PIPELINE_IDS.uom(p.unit),
          quantity,
          priceperunit: price,
          baseamount: base,
          extendedamount: base,
          manualdiscountamount: 0,
          tax: 0,
          lineitemnumber: j + 1,
          isproductoverridden: false,
          ispriceoverridden: false,
          pricingerrorcode: 0,
          ownerid: owner,
          ...stamp,
        });
      });
      store.run(`UPDATE opportunity SET isrevenuesystemcalculated = 1 WHERE opportunityid = ? AND isrevenuesystemcalculated IS NULL`, [oppId]);
      computeTotals(store, model, 'opportunity', oppId, store.nextVersion());
      // Two opportunities are being quoted already: a draft on the first, an active quote on the second.
      if (i < 2) {
        const quoteId = stableGuid(`quote:${oppId}`);
        if (!exists('quote', 'quoteid', quoteId)) {
          ins.insert('quote', {
            quoteid: quoteId,
            name: String(o.name),
            quotenumber: `QUO-0${1001 + i}-S${i}M${i}P${i}`,
            revisionnumber: 0,
            customerid: o.customerid,
            opportunityid: oppId,
            pricelevelid: PIPELINE_IDS.retail,
            effectivefrom: toDateOnly(anchor),
            effectiveto: toDateOnly(addDays(anchor, 30)),
            statecode: i === 0 ? 0 : 1,
            statuscode: i === 0 ? 1 : 2,
            ownerid: owner,
            ...stamp,
          });
          for (const l of store.all(`SELECT * FROM opportunityproduct WHERE opportunityid = ?`, [oppId])) {
            ins.insert('quotedetail', {
              quotedetailid: stableGuid(`quotedetail:${quoteId}:${String(l.opportunityproductid)}`),
              quotedetailname: l.opportunityproductname,
              quoteid: quoteId,
              productid: l.productid,
              uomid: l.uomid,
              quantity: l.quantity,
              priceperunit: l.priceperunit,
              baseamount: l.baseamount,
              extendedamount: l.extendedamount,
              manualdiscountamount: 0,
              tax: 0,
              lineitemnumber: l.lineitemnumber,
              isproductoverridden: false,
              ispriceoverridden: false,
              pricingerrorcode: 0,
              ownerid: owner,
              ...stamp,
            });
          }
          computeTotals(store, model, 'quote', quoteId, store.nextVersion());
        }
      }
      // Competitors on some open deals.
      if (i % 3 === 0) {
        const c = COMPETITORS[i % COMPETITORS.length]!;
        store.run(`INSERT OR IGNORE INTO opportunitycompetitors (opportunityid, competitorid) VALUES (?, ?)`, [oppId, PIPELINE_IDS.competitor(c.key)]);
      }
    });
  });
}
