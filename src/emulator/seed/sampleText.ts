/** Text for the sample organisation: fictional companies (Microsoft's sample names), people, topics, cases. */

export interface AccountSeed {
  name: string;
  slug: string;
  industry: number;
  type: 'Customer' | 'Prospect' | 'Partner' | 'Vendor';
}

/** 60 fictional companies in the style of Microsoft's sample data. */
export const ACCOUNTS: readonly AccountSeed[] = [
  { name: 'Contoso Ltd.', slug: 'contoso', industry: 6, type: 'Customer' },
  { name: 'Contoso Pharmaceuticals', slug: 'contosopharma', industry: 11, type: 'Customer' },
  { name: 'Contoso Electronics', slug: 'contosoelectronics', industry: 12, type: 'Customer' },
  { name: 'Fabrikam, Inc.', slug: 'fabrikam', industry: 12, type: 'Customer' },
  { name: 'Fabrikam Fiber', slug: 'fabrikamfiber', industry: 31, type: 'Customer' },
  { name: 'Fabrikam Residences', slug: 'fabrikamresidences', industry: 29, type: 'Prospect' },
  { name: 'Northwind Traders', slug: 'northwindtraders', industry: 33, type: 'Customer' },
  { name: 'Northwind Health', slug: 'northwindhealth', industry: 11, type: 'Customer' },
  { name: 'Northwind Logistics', slug: 'northwindlogistics', industry: 30, type: 'Customer' },
  { name: 'Adventure Works Cycles', slug: 'adventureworks', industry: 32, type: 'Customer' },
  { name: 'Adventure Works Outdoor', slug: 'adventureworksoutdoor', industry: 22, type: 'Prospect' },
  { name: 'Alpine Ski House', slug: 'alpineskihouse', industry: 14, type: 'Customer' },
  { name: 'Blue Yonder Airlines', slug: 'blueyonderairlines', industry: 30, type: 'Customer' },
  { name: 'City Power & Light', slug: 'citypowerlight', industry: 31, type: 'Customer' },
  { name: 'Coho Winery', slug: 'cohowinery', industry: 17, type: 'Customer' },
  { name: 'Coho Vineyard & Winery', slug: 'cohovineyard', industry: 2, type: 'Prospect' },
  { name: 'Consolidated Messenger', slug: 'consolidatedmessenger', industry: 30, type: 'Customer' },
  { name: 'Fourth Coffee', slug: 'fourthcoffee', industry: 13, type: 'Customer' },
  { name: 'Graphic Design Institute', slug: 'graphicdesigninstitute', industry: 9, type: 'Customer' },
  { name: 'Humongous Insurance', slug: 'humongousinsurance', industry: 20, type: 'Customer' },
  { name: 'Litware, Inc.', slug: 'litware', industry: 6, type: 'Partner' },
  { name: 'Lucerne Publishing', slug: 'lucernepublishing', industry: 3, type: 'Customer' },
  { name: "Margie's Travel", slug: 'margiestravel', industry: 23, type: 'Customer' },
  { name: 'Proseware, Inc.', slug: 'proseware', industry: 6, type: 'Partner' },
  { name: 'School of Fine Art', slug: 'schooloffineart', industry: 27, type: 'Prospect' },
  { name: 'Southridge Video', slug: 'southridgevideo', industry: 14, type: 'Customer' },
  { name: 'Tailspin Toys', slug: 'tailspintoys', industry: 22, type: 'Customer' },
  { name: 'Trey Research', slug: 'treyresearch', industry: 7, type: 'Customer' },
  { name: 'The Phone Company', slug: 'thephonecompany', industry: 31, type: 'Customer' },
  { name: 'Wide World Importers', slug: 'wideworldimporters', industry: 33, type: 'Customer' },
  { name: 'Wingtip Toys', slug: 'wingtiptoys', industry: 22, type: 'Customer' },
  { name: 'Woodgrove Bank', slug: 'woodgrovebank', industry: 16, type: 'Customer' },
  { name: 'Woodgrove Financial Advisors', slug: 'woodgrovefinancial', industry: 16, type: 'Prospect' },
  { name: 'A. Datum Corporation', slug: 'adatum', industry: 7, type: 'Customer' },
  { name: 'Relecloud', slug: 'relecloud', industry: 6, type: 'Customer' },
  { name: 'Tailwind Traders', slug: 'tailwindtraders', industry: 22, type: 'Customer' },
  { name: 'VanArsdel, Ltd.', slug: 'vanarsdel', industry: 12, type: 'Customer' },
  { name: "Munson's Pickles and Preserves Farm", slug: 'munsonspickles', industry: 17, type: 'Customer' },
  { name: 'Bellows College', slug: 'bellowscollege', industry: 27, type: 'Prospect' },
  { name: 'Best For You Organics Company', slug: 'bestforyouorganics', industry: 17, type: 'Customer' },
  { name: 'First Up Consultants', slug: 'firstupconsultants', industry: 7, type: 'Partner' },
  { name: "Liberty's Delightful Sinful Bakery & Cafe", slug: 'libertysbakery', industry: 13, type: 'Customer' },
  { name: 'Lamna Healthcare Company', slug: 'lamnahealthcare', industry: 11, type: 'Customer' },
  { name: 'Nod Publishers', slug: 'nodpublishers', industry: 3, type: 'Prospect' },
  { name: 'Olympia Sports Clubs', slug: 'olympiasports', industry: 25, type: 'Customer' },
  { name: 'Lakeshore Retail', slug: 'lakeshoreretail', industry: 22, type: 'Customer' },
  { name: 'Datum Logistics GmbH', slug: 'datumlogistics', industry: 30, type: 'Customer' },
  { name: 'Proseware Cloud Services', slug: 'prosewarecloud', industry: 6, type: 'Vendor' },
  { name: 'Litware Security', slug: 'litwaresecurity', industry: 6, type: 'Partner' },
  { name: 'Trey Research Labs', slug: 'treyresearchlabs', industry: 11, type: 'Prospect' },
  { name: 'Wingtip Hospitality Group', slug: 'wingtiphospitality', industry: 13, type: 'Customer' },
  { name: 'Fabrikam Manufacturing Europe', slug: 'fabrikameurope', industry: 12, type: 'Customer' },
  { name: 'Contoso Bank', slug: 'contosobank', industry: 16, type: 'Customer' },
  { name: 'Alpine Mountain Resorts', slug: 'alpinemountain', industry: 25, type: 'Prospect' },
  { name: 'Blue Yonder Cargo', slug: 'blueyondercargo', industry: 30, type: 'Customer' },
  { name: 'Humongous Insurance Brokers', slug: 'humongousbrokers', industry: 4, type: 'Customer' },
  { name: 'Lucerne Legal Partners', slug: 'lucernelegal', industry: 21, type: 'Prospect' },
  { name: 'Southridge Equipment Rental', slug: 'southridgerental', industry: 15, type: 'Customer' },
  { name: 'Northwind Building Supply', slug: 'northwindbuilding', industry: 5, type: 'Customer' },
  { name: 'Coho Petrochemical', slug: 'cohopetro', industry: 24, type: 'Prospect' },
];

export const PLACES: ReadonlyArray<readonly [string, string, string]> = [
  ['Redmond', 'WA', 'United States'],
  ['Seattle', 'WA', 'United States'],
  ['Bellevue', 'WA', 'United States'],
  ['Portland', 'OR', 'United States'],
  ['San Francisco', 'CA', 'United States'],
  ['Austin', 'TX', 'United States'],
  ['Chicago', 'IL', 'United States'],
  ['New York', 'NY', 'United States'],
  ['Boston', 'MA', 'United States'],
  ['Atlanta', 'GA', 'United States'],
  ['Denver', 'CO', 'United States'],
  ['Toronto', 'ON', 'Canada'],
  ['Vancouver', 'BC', 'Canada'],
  ['London', 'England', 'United Kingdom'],
  ['Manchester', 'England', 'United Kingdom'],
  ['Dublin', 'Leinster', 'Ireland'],
  ['Amsterdam', 'North Holland', 'Netherlands'],
  ['Munich', 'Bavaria', 'Germany'],
  ['Hamburg', 'Hamburg', 'Germany'],
  ['Paris', 'Île-de-France', 'France'],
  ['Lyon', 'Auvergne-Rhône-Alpes', 'France'],
  ['Zürich', 'Zürich', 'Switzerland'],
  ['Stockholm', 'Stockholm', 'Sweden'],
  ['Madrid', 'Madrid', 'Spain'],
  ['Milan', 'Lombardy', 'Italy'],
  ['Sydney', 'NSW', 'Australia'],
  ['Melbourne', 'VIC', 'Australia'],
  ['Singapore', 'Singapore', 'Singapore'],
  ['Tokyo', 'Tokyo', 'Japan'],
  ['São Paulo', 'SP', 'Brazil'],
];

export const STREETS = ['Main Street', 'Market Street', 'Harbor Way', 'Lakeview Drive', 'Commerce Avenue', 'Industrial Parkway', 'Station Road', 'Park Lane', 'Innovation Boulevard', 'River Road', 'Oak Street', 'Hillcrest Avenue'];

export const FIRST_NAMES = [
  'Adele', 'Aiden', 'Alejandro', 'Amara', 'Ana', 'Anders', 'Andrea', 'Ava', 'Ben', 'Bianca', 'Brian', 'Camille', 'Carlos', 'Chen', 'Chloe', 'Daniel',
  'Deepa', 'Diego', 'Eamon', 'Elif', 'Elise', 'Emeka', 'Emily', 'Erik', 'Fatima', 'Felix', 'Fiona', 'Gabriel', 'Grace', 'Hana', 'Hannah', 'Hiroshi',
  'Ines', 'Isaac', 'Ivana', 'Jacob', 'Jamal', 'Jana', 'Javier', 'Jessica', 'Jin', 'João', 'Julia', 'Kai', 'Kamala', 'Karin', 'Kevin', 'Laila',
  'Lars', 'Laura', 'Leon', 'Lina', 'Lucas', 'Maeve', 'Marco', 'María', 'Mateo', 'Maya', 'Mei', 'Mohammed', 'Nadia', 'Naomi', 'Nikhil', 'Noah',
  'Olga', 'Omar', 'Patrick', 'Paula', 'Priya', 'Rafael', 'Rahul', 'Renée', 'Ryan', 'Saanvi', 'Samuel', 'Sara', 'Sean', 'Siobhán', 'Sofia', 'Søren',
  'Tariq', 'Thomas', 'Valentina', 'Victor', 'Wei', 'Yasmin', 'Yusuf', 'Zoe',
];

export const LAST_NAMES = [
  'Abbott', 'Adeyemi', 'Alvarez', 'Andersen', 'Bauer', 'Becker', 'Brennan', 'Byrne', 'Carter', 'Castillo', 'Chen', 'Costa', 'Dubois', 'Duarte',
  'Eriksen', 'Fischer', 'Fitzgerald', 'García', 'Goldberg', 'Gupta', 'Haddad', 'Hansen', 'Hernández', 'Hoffmann', 'Ibrahim', 'Ivanova', 'Jansen',
  'Johansson', 'Kaur', 'Kelly', 'Khan', 'Kim', 'Kowalski', 'Larsen', 'Lee', 'Lindqvist', 'López', 'Martin', 'Meyer', 'Moreau', 'Müller', 'Murphy',
  'Nakamura', 'Nguyen', "O'Brien", "O'Connor", 'Okafor', 'Olsen', 'Patel', 'Pereira', 'Petrov', 'Quinn', 'Ramírez', 'Rossi', 'Santos', 'Sato',
  'Schmidt', 'Silva', 'Singh', 'Sørensen', 'Suzuki', 'Tanaka', 'Thompson', 'Torres', 'Van der Berg', 'Varga', 'Wagner', 'Walsh', 'Wang', 'Weber',
  'Williams', 'Wong', 'Yamamoto', 'Zhang', 'Ziegler',
];

export const JOB_TITLES = [
  'Chief Executive Officer', 'Chief Operating Officer', 'Chief Financial Officer', 'Chief Information Officer', 'VP of Operations', 'VP of Sales',
  'Director of IT', 'IT Manager', 'Procurement Manager', 'Purchasing Agent', 'Facilities Manager', 'Head of Customer Experience', 'Operations Manager',
  'Marketing Director', 'Office Manager', 'Finance Manager', 'Logistics Coordinator', 'Plant Manager', 'Head of Digital', 'Business Analyst',
];

/** Prefixes and suffixes for prospects that are not yet customers. */
export const PROSPECT_PREFIX = [
  'Blue Ridge', 'Harborview', 'Cedar Point', 'Silverline', 'Redwood', 'Northgate', 'Brightwater', 'Ironwood', 'Summit Peak', 'Clearwater', 'Granite',
  'Maple Leaf', 'Riverside', 'Sunrise', 'Evergreen', 'Highland', 'Oakridge', 'Stonebridge', 'Westfield', 'Crescent', 'Pinecrest', 'Lighthouse',
  'Copperfield', 'Meadowbrook', 'Foxglove', 'Kingfisher', 'Bluebird', 'Starling', 'Horizon', 'Trailhead',
];
export const PROSPECT_SUFFIX = [
  'Analytics', 'Dental Group', 'Logistics', 'Manufacturing', 'Hotels', 'Medical Center', 'Engineering', 'Foods', 'Outfitters', 'Credit Union', 'Realty',
  'Clinics', 'Retail Group', 'Architects', 'Distribution', 'Software', 'Property Management', 'Brewing Co.', 'Academy', 'Fitness',
];

export const PRODUCTS = [
  'Surface Laptop 7 fleet', 'managed Wi-Fi rollout', 'espresso machines', 'field service tablets', 'ERP migration', 'CRM implementation',
  'cloud backup subscription', 'point-of-sale terminals', 'security cameras', 'conference room kits', 'barcode scanners', 'fleet telematics',
  'e-commerce replatform', 'data warehouse modernization', 'help desk outsourcing', 'print management service', 'solar panel installation',
  'warehouse robotics pilot', 'bike fleet for couriers', 'ski rental equipment', 'cold-chain sensors', 'staff training program',
];

export const DEPARTMENTS = ['the sales team', 'regional offices', 'the warehouse', 'head office', 'field technicians', 'retail stores', 'the call center', 'the finance department', 'new branches', 'the support desk'];

export const LEAD_TOPIC_TEMPLATES = [
  'Interested in {product} for {dept}',
  'Request for quote: {product}',
  'Pricing for {n} units – {product}',
  'Evaluating {product} this quarter',
  '{product} – follow-up from trade show',
  'Replace legacy system with {product}',
  'Pilot of {product} at {dept}',
  'Budget approved for {product}',
];

export const LEAD_DESCRIPTIONS = [
  'Reached out through the website contact form asking for a call back about pricing and delivery times.',
  'Met at the regional trade show; wants a demo for their leadership team before the end of the quarter.',
  'Referred by an existing customer. Current vendor contract ends in three months.',
  'Downloaded the buyer guide and asked about volume discounts and financing options.',
  'Attended our webinar and asked detailed questions about integration with their ERP.',
  'Expanding to new locations next year and needs a supplier that can scale with them.',
  'Unhappy with current provider response times; looking for a managed service with an SLA.',
  'Procurement is collecting three quotes; decision expected within six weeks.',
];

/** A support topic: how cases about it read, how they are resolved, and the knowledge articles about it. */
export interface CaseTopic {
  titles: readonly string[];
  description: string;
  type: 1 | 2 | 3;
  resolution: string;
  notes: readonly string[];
  articles: ReadonlyArray<{ title: string; description: string; keywords: string; steps: readonly string[] }>;
}

export const CASE_TOPICS: readonly CaseTopic[] = [
  {
    titles: ['Cannot sign in to customer portal', 'Password reset email not received', 'Account locked after failed sign-ins'],
    description: 'The customer cannot sign in to the self-service portal. They requested a password reset but the email never arrived, and the account now shows as locked.',
    type: 2,
    resolution: 'Unlocked the account, confirmed the reset email was delivered after adding our domain to the safe senders list.',
    notes: ['Checked the identity logs: five failed sign-ins in ten minutes triggered the lockout.', 'Reset email was quarantined by the customer mail filter.'],
    articles: [
      { title: 'How to reset your portal password', description: 'Steps to reset a forgotten portal password.', keywords: 'password, reset, sign in, portal', steps: ['Open the portal sign-in page and select Forgot password.', 'Enter the email address on your account.', 'Open the reset email within 30 minutes and choose a new password.'] },
      { title: 'Why is my account locked?', description: 'What causes account lockouts and how to unlock.', keywords: 'locked, lockout, sign in, security', steps: ['Accounts lock for 30 minutes after five failed sign-ins.', 'Wait 30 minutes or contact support to unlock immediately.', 'Add the support domain to your safe senders list so reset emails arrive.'] },
    ],
  },
  {
    titles: ['Printer offline after network change', 'Wi-Fi printer not found', 'Cannot print from laptops'],
    description: 'Since the office network was reconfigured, the shared printer shows as offline on all laptops. Printing from mobile devices also fails.',
    type: 2,
    resolution: 'Assigned the printer a static IP address and re-added it to the print server; test pages print from all devices.',
    notes: ['Printer picked up a new DHCP address after the router swap.', 'Customer confirmed printing works from the finance team laptops.'],
    articles: [
      { title: 'Troubleshooting a printer that shows offline', description: 'Restore connectivity to a network printer.', keywords: 'printer, offline, network, wi-fi', steps: ['Print a network configuration page from the printer panel.', 'Confirm the printer IP matches the port configured on the print server.', 'Reserve the IP address in DHCP or assign a static address.'] },
      { title: 'Connecting a printer to a new Wi-Fi network', description: 'Join a printer to a changed wireless network.', keywords: 'printer, wi-fi, wireless, setup', steps: ['On the printer panel open Network settings and choose Wireless setup wizard.', 'Select the new network name and enter the passphrase.', 'Re-add the printer on each computer using its new address.'] },
    ],
  },
  {
    titles: ['Invoice amount does not match quote', 'Duplicate charge on invoice', 'Discount missing from invoice'],
    description: 'The latest invoice is higher than the signed quote. The agreed volume discount does not appear and one line item seems to be billed twice.',
    type: 3,
    resolution: 'Issued a credit note for the duplicate line and the missing discount; corrected the pricing agreement for future invoices.',
    notes: ['Finance confirmed the discount was not applied because the price list expired.', 'Credit note sent to the customer accounts payable contact.'],
    articles: [
      { title: 'Understanding your invoice', description: 'Explains each section of the invoice.', keywords: 'invoice, billing, charges, discount', steps: ['Line items list each product with quantity and unit price.', 'Discounts appear as separate negative lines.', 'Contact billing within 30 days to dispute a charge.'] },
      { title: 'How to request a credit note', description: 'Steps to dispute a charge and receive a credit.', keywords: 'credit note, refund, dispute, billing', steps: ['Open a case with the invoice number and the disputed lines.', 'Attach the signed quote or order confirmation.', 'Credits are issued within five business days after approval.'] },
    ],
  },
  {
    titles: ['Delivery delayed', 'Shipment has not arrived', 'Tracking number not updating'],
    description: 'The order was due last week but has not arrived and the tracking page has not updated for several days. The customer needs the goods for a store opening.',
    type: 1,
    resolution: 'Carrier located the pallet at the regional hub; expedited delivery arrived the next morning.',
    notes: ['Carrier says the pallet was mis-routed at the hub.', 'Offered expedited shipping at no charge.'],
    articles: [
      { title: 'Tracking your shipment', description: 'Where to find tracking details and what statuses mean.', keywords: 'delivery, shipping, tracking, delay', steps: ['Open the order in the portal and select Track shipment.', 'Status In transit can stay unchanged for up to 48 hours between hubs.', 'Open a case if there is no update for three business days.'] },
      { title: 'What to do when a delivery is late', description: 'Options when an order misses its delivery date.', keywords: 'late delivery, expedite, carrier', steps: ['Check the tracking page for carrier exceptions.', 'Contact support with the order number.', 'We can reship or expedite when the carrier confirms a loss.'] },
    ],
  },
  {
    titles: ['Espresso machine leaking water', 'Coffee machine error E07', 'Grinder making loud noise'],
    description: 'The espresso machine in the staff kitchen leaks water from the group head and shows error E07 after a few shots.',
    type: 2,
    resolution: 'Replaced the group head gasket and descaled the boiler; machine tested without leaks.',
    notes: ['Error E07 indicates low water pressure at the pump.', 'Technician visit scheduled for Thursday morning.'],
    articles: [
      { title: 'Espresso machine error codes', description: 'Meaning of common error codes and first steps.', keywords: 'espresso, error code, E07, machine', steps: ['E07: low pump pressure – check the water tank and inlet filter.', 'E12: boiler temperature – switch off for ten minutes.', 'Persistent errors need a technician visit.'] },
      { title: 'Descaling your espresso machine', description: 'Monthly descaling routine to prevent leaks.', keywords: 'descale, cleaning, maintenance, espresso', steps: ['Empty the water tank and add descaling solution.', 'Run the descale program from the service menu.', 'Rinse with two full tanks of fresh water.'] },
    ],
  },
  {
    titles: ['Laptop battery drains quickly', 'Laptop will not charge', 'Device overheating'],
    description: 'Several laptops from the latest batch lose battery within two hours and get hot during video calls.',
    type: 2,
    resolution: 'Applied the firmware update that fixes the power management bug; battery life back to expected levels.',
    notes: ['Battery report shows full design capacity, so hardware is fine.', 'Firmware 2.4.1 fixes a power state issue on this model.'],
    articles: [
      { title: 'Improving laptop battery life', description: 'Settings and updates that extend battery life.', keywords: 'battery, laptop, power, firmware', steps: ['Install the latest firmware and drivers from the update tool.', 'Use the recommended power mode.', 'Generate a battery report to check capacity.'] },
      { title: 'Laptop does not charge', description: 'Checks when a laptop will not charge.', keywords: 'charging, power adapter, battery', steps: ['Try a different outlet and check the charger light.', 'Inspect the connector for debris.', 'Hold the power button for 20 seconds to reset the power controller.'] },
    ],
  },
  {
    titles: ['Request to upgrade subscription plan', 'Add users to subscription', 'Change billing frequency'],
    description: 'The customer wants to move from the Standard to the Premium plan and add 25 users from next month.',
    type: 3,
    resolution: 'Upgraded the subscription to Premium with 25 additional seats, effective on the first of the month.',
    notes: ['Confirmed pricing with the account manager.', 'Customer asked for annual billing from the next renewal.'],
    articles: [
      { title: 'Changing your subscription plan', description: 'How upgrades and downgrades work.', keywords: 'subscription, upgrade, plan, seats', steps: ['Upgrades take effect immediately and are prorated.', 'Downgrades take effect at the next renewal.', 'Seat changes can be made by an administrator in the portal.'] },
      { title: 'Billing frequency options', description: 'Monthly and annual billing.', keywords: 'billing, annual, monthly, invoice', steps: ['Annual billing includes a 10% discount.', 'Switching frequency applies from the next renewal date.'] },
    ],
  },
  {
    titles: ['Damaged item received', 'Wrong item delivered', 'Missing parts in order'],
    description: 'Two of the boxes in the delivery arrived crushed and the bike frames inside are scratched. One box of accessories is missing.',
    type: 2,
    resolution: 'Shipped replacement frames and the missing accessories; carrier claim filed for the damaged goods.',
    notes: ['Customer sent photos of the damaged packaging.', 'Replacement shipment created with priority handling.'],
    articles: [
      { title: 'Reporting damaged or missing items', description: 'What to do when an order arrives damaged or incomplete.', keywords: 'damaged, missing, return, replacement', steps: ['Photograph the packaging and the items within 48 hours.', 'Open a case with the order number and photos.', 'We ship replacements once the claim is approved.'] },
      { title: 'Returns and replacements policy', description: 'Return windows and conditions.', keywords: 'returns, replacement, policy, refund', steps: ['Unused items can be returned within 30 days.', 'Damaged items are replaced at no cost.', 'Refunds are issued to the original payment method.'] },
    ],
  },
  {
    titles: ['Integration sync failing', 'API returns 401 errors', 'Orders not syncing to ERP'],
    description: 'Orders created in the web shop stopped syncing to the ERP overnight. The integration log shows repeated 401 Unauthorized responses.',
    type: 2,
    resolution: 'The integration client secret had expired; rotated the secret and replayed the failed messages.',
    notes: ['Integration log: 401 since 02:00 UTC.', 'Secret expiry confirmed in the app registration.'],
    articles: [
      { title: 'Fixing authentication errors in integrations', description: 'Resolve 401 and 403 errors in the sync service.', keywords: 'integration, api, 401, authentication, secret', steps: ['Check whether the client secret or certificate has expired.', 'Create a new secret and update the integration settings.', 'Replay failed messages from the integration console.'] },
      { title: 'Monitoring the ERP sync', description: 'Where to see sync status and failures.', keywords: 'sync, erp, monitoring, integration', steps: ['Open the integration console and select Sync history.', 'Failed messages are kept for seven days.', 'Enable email alerts for repeated failures.'] },
    ],
  },
  {
    titles: ['Question about warranty coverage', 'Warranty claim for faulty unit', 'Extended warranty options'],
    description: 'The customer asks whether the warranty covers a unit that stopped working after 14 months and what the claim process is.',
    type: 1,
    resolution: 'Confirmed the unit is covered by the 24-month warranty and arranged a replacement under warranty.',
    notes: ['Serial number confirms purchase date within the warranty period.'],
    articles: [
      { title: 'Warranty coverage explained', description: 'What the standard warranty covers.', keywords: 'warranty, coverage, repair', steps: ['Hardware is covered for 24 months from delivery.', 'Accidental damage is not covered unless extended cover was purchased.', 'Keep the serial number and invoice for claims.'] },
      { title: 'Making a warranty claim', description: 'Steps to claim a repair or replacement.', keywords: 'warranty claim, replacement, rma', steps: ['Open a case with the serial number.', 'Support runs diagnostics with you.', 'Approved claims receive an RMA number and a prepaid label.'] },
    ],
  },
  {
    titles: ['Slow website performance', 'Web shop checkout timing out', 'Pages load slowly during sales'],
    description: 'During the weekend promotion the web shop became very slow and several customers reported checkout timeouts.',
    type: 2,
    resolution: 'Scaled out the web tier and enabled caching for catalog pages; checkout latency back under two seconds.',
    notes: ['Monitoring shows CPU at 95% on both web servers during the promotion.'],
    articles: [
      { title: 'Preparing your web shop for peak traffic', description: 'Checklist before promotions and sales.', keywords: 'performance, scaling, traffic, web shop', steps: ['Enable page caching for the catalog.', 'Schedule a scale-out before the promotion starts.', 'Load test the checkout path a week ahead.'] },
      { title: 'Diagnosing slow checkout', description: 'Find where checkout time is spent.', keywords: 'checkout, latency, timeout', steps: ['Review the response time dashboard by step.', 'Check payment provider latency.', 'Look for slow database queries in the diagnostics log.'] },
    ],
  },
  {
    titles: ['Cancel service contract', 'Request to close account', 'Stop auto-renewal'],
    description: 'The customer wants to stop the automatic renewal of the maintenance contract at the end of the term.',
    type: 3,
    resolution: 'Auto-renewal switched off; confirmation sent with the contract end date.',
    notes: ['Account manager informed to discuss retention offer.'],
    articles: [
      { title: 'Managing contract renewals', description: 'How automatic renewal works and how to change it.', keywords: 'contract, renewal, cancel', steps: ['Contracts renew automatically 30 days before the end date.', 'Administrators can switch off auto-renewal in the portal.', 'Cancellation requests must arrive 30 days before renewal.'] },
      { title: 'Closing your account', description: 'What happens to data when an account is closed.', keywords: 'close account, data retention, cancel', steps: ['Export any data you want to keep.', 'Data is retained for 90 days after closure.', 'Open a case to request immediate deletion.'] },
    ],
  },
  {
    titles: ['Security camera not recording', 'Camera feed shows black screen', 'Motion alerts not received'],
    description: 'Two cameras at the loading dock show a black feed and no recordings since Monday.',
    type: 2,
    resolution: 'Replaced the failed power injector and updated camera firmware; recordings resumed.',
    notes: ['Both cameras share one PoE injector that failed.'],
    articles: [
      { title: 'Camera shows no video', description: 'Troubleshoot cameras without a feed.', keywords: 'camera, no video, poe, recording', steps: ['Check the PoE switch port lights.', 'Power-cycle the camera from the management console.', 'Update firmware if the camera reconnects.'] },
      { title: 'Configuring motion alerts', description: 'Set up and test motion notifications.', keywords: 'motion, alerts, notifications, camera', steps: ['Open camera settings and enable motion detection.', 'Draw detection zones to avoid false alarms.', 'Send a test notification to verify delivery.'] },
    ],
  },
  {
    titles: ['Training session request', 'Need onboarding for new staff', 'Request user guide'],
    description: 'The customer hired twelve new staff and asks for an onboarding session and the latest user guide.',
    type: 3,
    resolution: 'Scheduled a two-hour remote onboarding session and sent the user guide and quick reference cards.',
    notes: ['Session booked for next Tuesday 10:00.'],
    articles: [
      { title: 'Onboarding resources for new users', description: 'Guides, videos and training options.', keywords: 'training, onboarding, user guide', steps: ['Download the user guide from the resources page.', 'Watch the getting started videos.', 'Book a live session through support.'] },
      { title: 'Booking a training session', description: 'How to schedule instructor-led training.', keywords: 'training, session, booking', steps: ['Open a case with the number of attendees and topics.', 'Sessions are two hours, remote or on site.', 'On-site sessions need two weeks notice.'] },
    ],
  },
  {
    titles: ['Data export request', 'Report shows wrong totals', 'Dashboard not refreshing'],
    description: 'The monthly sales report shows totals that do not match the invoices and the dashboard has not refreshed since Friday.',
    type: 1,
    resolution: 'Scheduled refresh had been paused after a credential change; re-enabled it and totals now match.',
    notes: ['Data refresh paused after the service account password change.'],
    articles: [
      { title: 'Why report totals differ from invoices', description: 'Common reasons for mismatched totals.', keywords: 'report, totals, dashboard, refresh', steps: ['Check the last refresh time on the dashboard.', 'Credit notes are included in reports only after posting.', 'Time zone settings can move transactions between days.'] },
      { title: 'Exporting your data', description: 'Export records to Excel or CSV.', keywords: 'export, data, csv, excel', steps: ['Open the list view and select Export.', 'Exports are limited to 100,000 rows.', 'Large exports are emailed as a download link.'] },
    ],
  },
];

export const EMAIL_LEAD_OUT = [
  ['Thanks for your interest in {product}', '<p>Hi {first},</p><p>Thank you for reaching out about {product}. I would be glad to walk you through the options and pricing. Do you have 30 minutes this week?</p><p>Best regards,<br/>{owner}</p>'],
  ['Following up on our conversation', '<p>Hi {first},</p><p>Great speaking with you. As promised, I have attached an overview of {product} with indicative pricing for {company}.</p><p>Kind regards,<br/>{owner}</p>'],
  ['Quote for {company}', '<p>Hello {first},</p><p>Please find the quote for {product}. It is valid for 30 days; let me know if you need changes to quantities or delivery dates.</p><p>{owner}</p>'],
  ['Checking in', '<p>Hi {first},</p><p>I wanted to check whether you had a chance to review the proposal for {product}. Happy to answer any questions.</p><p>{owner}</p>'],
] as const;

export const EMAIL_LEAD_IN = [
  ['RE: {product}', '<p>Thanks – could you send pricing for {n} units and the expected delivery time?</p><p>{first}</p>'],
  ['Question about your offer', '<p>Hello, we are comparing vendors for {product}. Do you offer financing or a trial period?</p><p>Regards,<br/>{first} {last}</p>'],
  ['Meeting next week', '<p>Tuesday afternoon works for us. Please include our IT manager in the invite.</p><p>{first}</p>'],
] as const;

export const CALL_SUBJECTS_LEAD = ['Discovery call', 'Intro call about {product}', 'Follow-up call on proposal', 'Budget and timeline call', 'Demo scheduling call'];
export const TASK_SUBJECTS_LEAD = ['Send product brochure', 'Prepare quote for {company}', 'Schedule demo', 'Follow up on proposal', 'Research {company} before call'];
export const CALL_SUBJECTS_CASE = ['Called customer about case', 'Troubleshooting call', 'Callback: confirm fix', 'Status update call'];
export const TASK_SUBJECTS_CASE = ['Check with engineering', 'Order replacement part', 'Confirm resolution with customer', 'Update knowledge article'];
export const ACCOUNT_TASKS = ['Quarterly business review', 'Renewal preparation', 'Update account plan', 'Send satisfaction survey'];
export const LEAD_NOTES = [
  'Decision maker is the CFO; budget review in the next board meeting.',
  'Currently using a competitor; contract ends in Q3.',
  'Asked for references from similar companies in their region.',
  'Prefers email over phone; responds quickly in the mornings.',
  'Needs delivery before the new office opens.',
];

export const SCORE_REASONS_POSITIVE = [
  'Recent email engagement',
  'Job title indicates a decision maker',
  'Budget amount provided',
  'Lead source has a high conversion rate',
  'Company size fits the ideal customer profile',
  'Multiple interactions in the last 14 days',
];
export const SCORE_REASONS_NEGATIVE = [
  'No activity in the last 30 days',
  'Missing phone number',
  'Lead source has a low conversion rate',
  'Company size is outside the ideal customer profile',
  'Email bounced or unverified',
];

/** Strips accents for email addresses and slugs (Søren Müller → soren.muller). */
export function asciiFold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/g, 'o')
    .replace(/Ø/g, 'O')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
}
