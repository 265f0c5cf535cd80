-- The customer directory (DOMAIN.md, "A call, end to end", step 6: caller identification).
-- Times are milliseconds since the Unix epoch (UTC). Columns ending in _key hold what the
-- store derives for searching (lower case, accents folded; see crm-store src/customers): a
-- prefix search is the index range key >= prefix AND key < next(prefix), which SQLite's
-- default BINARY collation serves from the index.

CREATE TABLE customers (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind                   TEXT NOT NULL CHECK (kind IN ('person', 'organisation')),
    display_name           TEXT NOT NULL,
    display_name_key       TEXT NOT NULL,
    -- Persons only.
    given_name             TEXT,
    family_name            TEXT,
    family_name_key        TEXT,
    -- Codice fiscale, upper case without spaces (persons only).
    tax_code               TEXT,
    -- Partita IVA, 11 digits (organisations only).
    vat_number             TEXT,
    -- argon2id PHC string of the PIN; NULL: no PIN.
    pin_hash               TEXT,
    -- A record made for a caller who could not be identified.
    guest                  BOOLEAN NOT NULL DEFAULT FALSE,
    -- Data an operator found inconsistent, with their note.
    discrepancy            BOOLEAN NOT NULL DEFAULT FALSE,
    discrepancy_note       TEXT,
    discrepancy_at_unix_ms INTEGER,
    -- Optimistic concurrency: every change adds one; an update names the revision it read.
    revision               INTEGER NOT NULL,
    created_at_unix_ms     INTEGER NOT NULL,
    updated_at_unix_ms     INTEGER NOT NULL,
    CHECK (kind = 'person' OR (given_name IS NULL AND family_name IS NULL AND tax_code IS NULL)),
    CHECK (kind = 'organisation' OR vat_number IS NULL),
    CHECK (discrepancy = (discrepancy_at_unix_ms IS NOT NULL))
);

CREATE INDEX customers_by_display_name ON customers (display_name_key, id);
CREATE INDEX customers_by_family_name ON customers (family_name_key) WHERE family_name_key IS NOT NULL;
CREATE INDEX customers_by_tax_code ON customers (tax_code) WHERE tax_code IS NOT NULL;
CREATE INDEX customers_by_vat_number ON customers (vat_number) WHERE vat_number IS NOT NULL;

-- Phone numbers, in the order given. number is as given; number_e164 its E.164 form when the
-- numbering plan allows; number_key what look-ups match: the E.164 form, or the digits of a
-- number that has none (an internal extension).
CREATE TABLE customer_phones (
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    label       TEXT NOT NULL,
    number      TEXT NOT NULL,
    number_e164 TEXT,
    number_key  TEXT NOT NULL,
    PRIMARY KEY (customer_id, position)
);

-- A number once per customer, but one number for many customers (a switchboard).
CREATE UNIQUE INDEX customer_phones_unique_number ON customer_phones (customer_id, number_key);
-- Caller identification: number to customers, the hot path of every call.
CREATE INDEX customer_phones_by_number ON customer_phones (number_key, customer_id);

CREATE TABLE customer_emails (
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    label       TEXT NOT NULL,
    address     TEXT NOT NULL,
    address_key TEXT NOT NULL,
    PRIMARY KEY (customer_id, position)
);

CREATE UNIQUE INDEX customer_emails_unique_address ON customer_emails (customer_id, address_key);
CREATE INDEX customer_emails_by_address ON customer_emails (address_key, customer_id);

-- A customer's recent service requests: the calls identified as theirs.
CREATE INDEX call_records_by_customer ON call_records (customer);
