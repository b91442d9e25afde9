CREATE TABLE effects (
    event_id uuid NOT NULL,
    case_id  uuid NOT NULL,
    campaign text NOT NULL
);
