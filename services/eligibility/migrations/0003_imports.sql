-- Campaign-list imports (花名册): a record per uploaded file with its counts, and every row that was
-- not taken with its row number and reason (the downloadable error report). Importing the same file
-- again into the same campaign finds this record instead of registering anything twice.
CREATE TABLE imports (
    import_id          uuid        PRIMARY KEY,
    kind               text        NOT NULL CHECK (kind IN ('cases', 'hardship_files')),
    region             text        NOT NULL,
    campaign           text,
    programme          text,
    year               int,
    filename           text        NOT NULL,
    file_sha256        text        NOT NULL,
    status             text        NOT NULL CHECK (status IN ('completed', 'completed_with_errors')),
    rows_read          int         NOT NULL,
    accepted           int         NOT NULL,
    rejected           int         NOT NULL,
    eligible           int         NOT NULL DEFAULT 0,
    ineligible         int         NOT NULL DEFAULT 0,
    already_registered int         NOT NULL DEFAULT 0,
    imported_by        text        NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'cases') = (campaign IS NOT NULL))
);
CREATE UNIQUE INDEX imports_same_file_once ON imports (region, kind, coalesce(campaign, ''), file_sha256);

CREATE TABLE import_errors (
    import_id   uuid NOT NULL REFERENCES imports,
    row_number  int  NOT NULL,
    column_name text NOT NULL,
    reason      text NOT NULL
);
CREATE INDEX import_errors_by_import ON import_errors (import_id, row_number);

-- Which import registered a case (NULL: registered one by one), for the approval queue.
ALTER TABLE cases ADD COLUMN import_id uuid REFERENCES imports;
ALTER TABLE cases ADD COLUMN import_row int;
CREATE INDEX cases_import ON cases (import_id, status) WHERE import_id IS NOT NULL;
CREATE INDEX cases_queue ON cases (campaign, region, status, case_id);
