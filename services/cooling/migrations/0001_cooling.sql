-- A summer-cooling campaign: its period, regions and the kit each worker gets (item -> quantity).
CREATE TABLE campaigns (
    campaign   text        PRIMARY KEY,
    region     text        NOT NULL,
    title      text        NOT NULL,
    starts_on  date        NOT NULL,
    ends_on    date        NOT NULL CHECK (ends_on >= starts_on),
    kit        jsonb       NOT NULL,
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Worksites and stations (工会驿站). Headcount is counted from the approved registrations.
CREATE TABLE sites (
    campaign  text    NOT NULL REFERENCES campaigns,
    site      text    NOT NULL,
    name      text    NOT NULL,
    region    text    NOT NULL,
    kind      text    NOT NULL CHECK (kind IN ('station', 'worksite')),
    open_24h  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (campaign, site)
);

-- Approved registrations (worker.registered), one per worker and campaign; workers are keyed hashes.
CREATE TABLE registrations (
    campaign    text        NOT NULL,
    worker_ref  text        NOT NULL,
    site        text        NOT NULL,
    region      text        NOT NULL,
    occupation  text        NOT NULL,
    case_id     uuid        NOT NULL,
    approved_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign, worker_ref)
);
CREATE INDEX registrations_site ON registrations (campaign, site);

-- The item accounts, double entry: every movement takes items from one location to another. The
-- locations: 'supplier' (what came in: its balance is minus what was received), 'warehouse:<code>',
-- 'transit:<shipment>', 'site:<code>', 'handed_out', 'written_off'. No stock below zero (the CHECK).
CREATE TABLE item_balances (
    campaign text   NOT NULL,
    location text   NOT NULL,
    item     text   NOT NULL,
    quantity bigint NOT NULL,
    PRIMARY KEY (campaign, location, item),
    CONSTRAINT no_stock_below_zero CHECK (location = 'supplier' OR quantity >= 0)
);

CREATE TABLE item_movements (
    movement_id   bigserial   PRIMARY KEY,
    campaign      text        NOT NULL,
    from_location text        NOT NULL,
    to_location   text        NOT NULL,
    item          text        NOT NULL,
    quantity      bigint      NOT NULL CHECK (quantity > 0),
    kind          text        NOT NULL CHECK (kind IN ('receive', 'dispatch', 'deliver', 'shortage', 'surplus',
                                                       'hand_out', 'return', 'write_off')),
    reference     text        NOT NULL,
    reason        text,
    moved_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (from_location <> to_location)
);
CREATE INDEX item_movements_reference ON item_movements (campaign, reference);

-- Goods received, with the supplier's delivery note: one receipt per note.
CREATE TABLE receipts (
    campaign      text        NOT NULL REFERENCES campaigns,
    delivery_note text        NOT NULL,
    warehouse     text        NOT NULL,
    items         jsonb       NOT NULL,
    received_by   text        NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign, delivery_note)
);

-- The allocation plan in force: kits per site, re-run as stock arrives (what has shipped never moves).
CREATE TABLE plan (
    campaign   text        NOT NULL REFERENCES campaigns,
    site       text        NOT NULL,
    kits       int         NOT NULL CHECK (kits >= 0),
    planned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign, site)
);

CREATE TABLE shipments (
    shipment_id  uuid        PRIMARY KEY,
    campaign     text        NOT NULL REFERENCES campaigns,
    warehouse    text        NOT NULL,
    site         text        NOT NULL,
    kits         int         NOT NULL CHECK (kits > 0),
    items        jsonb       NOT NULL,
    status       text        NOT NULL DEFAULT 'in_transit' CHECK (status IN ('in_transit', 'delivered')),
    counted      jsonb,
    dispatched_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz
);
CREATE INDEX shipments_site ON shipments (campaign, site);

-- Hand-outs as the stations recorded them (their own clocks when offline). One kept per worker and
-- campaign (the index); a second one handed out while the stations could not know is an over-issue.
CREATE TABLE handouts (
    handout_id  uuid        PRIMARY KEY,
    campaign    text        NOT NULL REFERENCES campaigns,
    worker_ref  text        NOT NULL,
    site        text        NOT NULL,
    at          timestamptz NOT NULL,
    recorded    text        NOT NULL CHECK (recorded IN ('live', 'offline')),
    status      text        NOT NULL CHECK (status IN ('kept', 'over_issue')),
    station_ref text        NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign, site, station_ref)
);
CREATE UNIQUE INDEX handouts_one_kit_per_worker ON handouts (campaign, worker_ref) WHERE status = 'kept';
CREATE INDEX handouts_site ON handouts (campaign, site);
