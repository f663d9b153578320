-- Deposits through the salon's own Stripe account (issue 28).

-- The salon's Stripe account: its secret key and webhook signing secret are sealed (booking/sealing.py) under a
-- key derived from the installation's secret 'payments_key' (the secrets table), never shown back; the page
-- shows the key's last 4 characters. The publishable key is public (the booking page's card field needs it).
CREATE TABLE stripe_accounts (
    salon_id               uuid PRIMARY KEY REFERENCES salons ON DELETE CASCADE,
    secret_key_sealed      bytea NOT NULL,
    secret_key_last4       text NOT NULL CHECK (length(secret_key_last4) <= 4),
    publishable_key        text NOT NULL CHECK (publishable_key LIKE 'pk\_%'),
    webhook_secret_sealed  bytea,  -- none yet: every webhook is refused, the page's own check still books
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- A service may ask a deposit at online booking: a percent of its price, or an amount; not both.
ALTER TABLE services
    ADD COLUMN deposit_percent integer CHECK (deposit_percent BETWEEN 1 AND 100),
    ADD COLUMN deposit_cents integer CHECK (deposit_cents BETWEEN 1 AND 10000000),
    ADD CONSTRAINT services_one_deposit CHECK (deposit_percent IS NULL OR deposit_cents IS NULL);

-- The time a hold's code was typed, when the booking waits for its deposit (the hold lives on while it is paid).
ALTER TABLE holds ADD COLUMN code_typed_at timestamptz;

ALTER TABLE appointments ADD CONSTRAINT appointments_salon_id_key UNIQUE (salon_id, id);
DROP INDEX appointments_salon_id;  -- 0016's index for an export's pages: the constraint's unique index serves them

-- Every money movement through the salon's Stripe account. A deposit is paid inside its hold (hold_id) and is
-- on its appointment once booked; at most one row per PaymentIntent moves money in (payments_one_per_intent),
-- so a webhook and the page's own check, or a webhook three times, book once.
CREATE TABLE payments (
    id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id                  uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    appointment_id            uuid,
    hold_id                   uuid UNIQUE REFERENCES holds ON DELETE SET NULL,
    kind                      text NOT NULL CHECK (kind IN ('deposit', 'fee', 'refund')),
    amount_cents              integer NOT NULL CHECK (amount_cents > 0),
    currency                  text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    stripe_payment_intent_id  text NOT NULL,
    stripe_refund_id          text UNIQUE,  -- a refund's, once Stripe has answered
    status                    text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    -- what a refund is asked of Stripe under, made from the appointment and the reason: written before Stripe is
    -- asked, so a refund whose answer was lost is asked again under the same key and moves no money twice
    idempotency_key           text UNIQUE,
    CONSTRAINT payments_refund_id_on_refunds CHECK (kind = 'refund' OR stripe_refund_id IS NULL),
    CONSTRAINT payments_refund_has_its_key CHECK ((kind = 'refund') = (idempotency_key IS NOT NULL)),
    CONSTRAINT payments_appointment_fkey FOREIGN KEY (salon_id, appointment_id) REFERENCES appointments (salon_id, id)
);
CREATE UNIQUE INDEX payments_one_per_intent ON payments (stripe_payment_intent_id) WHERE kind <> 'refund';
CREATE INDEX payments_of_appointment ON payments (salon_id, appointment_id, created_at);
