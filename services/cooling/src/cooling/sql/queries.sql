-- name: create_campaign
INSERT INTO campaigns (campaign, region, title, starts_on, ends_on, kit, created_by)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
ON CONFLICT (campaign) DO NOTHING
RETURNING campaign;

-- name: campaign
SELECT campaign, region, title, starts_on, ends_on, kit, created_by FROM campaigns WHERE campaign = $1;

-- name: upsert_sites
INSERT INTO sites AS s (campaign, site, name, region, kind, open_24h)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[])
ON CONFLICT (campaign, site) DO UPDATE
SET name = excluded.name, region = excluded.region, kind = excluded.kind, open_24h = excluded.open_24h;

-- name: insert_registrations
INSERT INTO registrations (campaign, worker_ref, site, region, occupation, case_id)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[])
ON CONFLICT (campaign, worker_ref) DO NOTHING;

-- name: ensure_balances
INSERT INTO item_balances (campaign, location, item, quantity)
SELECT DISTINCT $1, l.location, l.item, 0 FROM unnest($2::text[], $3::text[]) AS l(location, item)
ORDER BY 2, 3
ON CONFLICT (campaign, location, item) DO NOTHING;

-- name: move
-- Items from one location to another, for a whole batch: the movements written, every balance they
-- touch changed once (a location's stock may never go below zero: the CHECK refuses the lot).
WITH m AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[])
        AS m(from_location, to_location, item, quantity, kind, reference, reason)
),
written AS (
    INSERT INTO item_movements (campaign, from_location, to_location, item, quantity, kind, reference, reason)
    SELECT $1, from_location, to_location, item, quantity, kind, reference, reason FROM m
),
net AS (
    SELECT location, item, sum(delta) AS delta FROM (
        SELECT from_location AS location, item, -quantity AS delta FROM m
        UNION ALL SELECT to_location, item, quantity FROM m) d
    GROUP BY location, item
)
UPDATE item_balances b SET quantity = b.quantity + net.delta
FROM net WHERE b.campaign = $1 AND b.location = net.location AND b.item = net.item;

-- name: lock_balances
SELECT location, item, quantity FROM item_balances
WHERE campaign = $1 AND location = ANY($2::text[]) ORDER BY location, item FOR UPDATE;

-- name: balances
SELECT location, item, quantity FROM item_balances WHERE campaign = $1 ORDER BY location, item;

-- name: insert_receipt
INSERT INTO receipts (campaign, delivery_note, warehouse, items, received_by)
VALUES ($1, $2, $3, $4::jsonb, $5)
ON CONFLICT (campaign, delivery_note) DO NOTHING
RETURNING delivery_note;

-- name: demand
-- What each site still needs: its headcount less the kits shipped to it (and what is planned, not shipped).
SELECT r.site, count(*) AS headcount, coalesce(min(shipped.kits), 0) AS shipped
FROM registrations r
LEFT JOIN (SELECT site, sum(kits) AS kits FROM shipments WHERE campaign = $1 GROUP BY site) shipped USING (site)
WHERE r.campaign = $1
GROUP BY r.site ORDER BY r.site;

-- name: replace_plan
WITH gone AS (DELETE FROM plan WHERE campaign = $1)
INSERT INTO plan (campaign, site, kits) SELECT $1, * FROM unnest($2::text[], $3::int[]);

-- name: plan
SELECT site, kits FROM plan WHERE campaign = $1 AND kits > 0 ORDER BY site;

-- name: clear_plan
DELETE FROM plan WHERE campaign = $1 AND site = ANY($2::text[]);

-- name: insert_shipments
INSERT INTO shipments (shipment_id, campaign, warehouse, site, kits, items)
SELECT s.shipment_id, $1, $2, s.site, s.kits, s.items
FROM unnest($3::uuid[], $4::text[], $5::int[], $6::jsonb[]) AS s(shipment_id, site, kits, items);

-- name: lock_shipment
SELECT shipment_id, campaign, warehouse, site, kits, items, status, counted FROM shipments
WHERE shipment_id = $1 FOR UPDATE;

-- name: deliver_shipment
UPDATE shipments SET status = 'delivered', counted = $2::jsonb, delivered_at = now() WHERE shipment_id = $1;

-- name: shipments_in_transit
SELECT shipment_id, site, kits, items FROM shipments WHERE campaign = $1 AND status = 'in_transit'
ORDER BY site, dispatched_at;

-- name: registered_workers
-- The batch's workers that are registered, locked: hand-outs to one worker are decided one at a time.
SELECT worker_ref, site FROM registrations WHERE campaign = $1 AND worker_ref = ANY($2::text[])
ORDER BY worker_ref FOR UPDATE;

-- name: kept_handouts
SELECT handout_id, worker_ref, site, at FROM handouts
WHERE campaign = $1 AND worker_ref = ANY($2::text[]) AND status = 'kept';

-- name: recorded_refs
SELECT station_ref, handout_id, status FROM handouts WHERE campaign = $1 AND site = $2 AND station_ref = ANY($3::text[]);

-- name: insert_handouts
INSERT INTO handouts (handout_id, campaign, worker_ref, site, at, recorded, status, station_ref)
SELECT h.handout_id, $1, h.worker_ref, $2, h.at, $3, h.status, h.station_ref
FROM unnest($4::uuid[], $5::text[], $6::timestamptz[], $7::text[], $8::text[])
     AS h(handout_id, worker_ref, at, status, station_ref);

-- name: demote_handouts
UPDATE handouts SET status = 'over_issue' WHERE handout_id = ANY($1::uuid[]);

-- name: coverage_by_site
-- Counted per site first, the workers reached found in one hashed set of the campaign's kept kits: whatever
-- the planner thinks of a campaign it has no statistics for yet (a new one always), the work stays one pass
-- over each table. (Joined to the hand-outs, a fresh campaign's estimate of one row made the planner scan
-- every hand-out of the campaign for every registration: 37,000 x 35,000, over a minute a report.)
SELECT r.region, r.site, coalesce(s.name, r.site) AS name, coalesce(s.kind, 'worksite') AS kind,
       coalesce(s.open_24h, false) AS open_24h, r.registered, r.reached
FROM (SELECT region, site, count(*) AS registered,
             count(*) FILTER (WHERE worker_ref IN (SELECT worker_ref FROM handouts
                                                    WHERE campaign = $1 AND status = 'kept')) AS reached
      FROM registrations WHERE campaign = $1 GROUP BY region, site) r
LEFT JOIN sites s ON s.campaign = $1 AND s.site = r.site
ORDER BY r.region, r.site;

-- name: over_issues
SELECT o.handout_id, o.site, o.at, k.site AS kept_site, k.at AS kept_at
FROM handouts o JOIN handouts k ON k.campaign = o.campaign AND k.worker_ref = o.worker_ref AND k.status = 'kept'
WHERE o.campaign = $1 AND o.status = 'over_issue' ORDER BY o.site, o.at LIMIT $2;

-- name: handouts_by_site
-- Kits handed out at each station (kept or over-issued: both left its stock), and its over-issues.
SELECT site, count(*) AS handed_out, count(*) FILTER (WHERE status = 'over_issue') AS over_issues
FROM handouts WHERE campaign = $1 GROUP BY site;

-- name: movements_by_kind
SELECT kind, item, sum(quantity) AS quantity FROM item_movements WHERE campaign = $1 GROUP BY kind, item
ORDER BY kind, item;
