-- Cards on file and no-show protection (issue 28).

-- The salon's policy: a fee for a no-show and for a cancellation inside the cut-off, each a percent of the
-- appointment's price, charged off-session on the card saved at booking. 0: none.
ALTER TABLE salons
    ADD COLUMN no_show_fee_percent integer NOT NULL DEFAULT 0
        CHECK (no_show_fee_percent BETWEEN 0 AND 100),
    ADD COLUMN late_cancellation_fee_percent integer NOT NULL DEFAULT 0
        CHECK (late_cancellation_fee_percent BETWEEN 0 AND 100);

-- A card the client saved at online booking, where a fee may apply: a SetupIntent (seti_...), or the deposit's own
-- PaymentIntent (pi_..., paid with setup_future_usage). Saved inside its hold (hold_id) and on its appointment once
-- booked; the Stripe customer is the salon's, made for this client on its account.
CREATE TABLE saved_cards (
    id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id                  uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    hold_id                   uuid UNIQUE REFERENCES holds ON DELETE SET NULL,
    appointment_id            uuid,
    stripe_customer_id        text NOT NULL,
    stripe_intent_id          text NOT NULL UNIQUE,
    stripe_payment_method_id  text,  -- once Stripe says the card is saved
    -- what the desk shows of it, read from Stripe once when the card is saved (NULL: Stripe could not say yet)
    card_brand                text,
    card_last4                text,
    status                    text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT saved_cards_method_when_saved CHECK (status <> 'succeeded' OR stripe_payment_method_id IS NOT NULL),
    CONSTRAINT saved_cards_appointment_fkey FOREIGN KEY (salon_id, appointment_id)
        REFERENCES appointments (salon_id, id)
);
CREATE UNIQUE INDEX saved_cards_of_appointment ON saved_cards (salon_id, appointment_id);

-- Why money moved: a fee's or a refund's reason is part of its idempotency key, so one reason moves money once.
ALTER TABLE payments ADD COLUMN reason text
    CHECK (reason IN ('deposit', 'no_show', 'late_cancellation', 'early_cancellation', 'owner', 'unbooked'));
UPDATE payments SET reason = CASE
    WHEN kind = 'deposit' THEN 'deposit'
    WHEN idempotency_key LIKE '%-unbooked' THEN 'unbooked'
    ELSE 'owner' END;
ALTER TABLE payments ALTER COLUMN reason SET NOT NULL;

-- A fee's row is written, with its key, before Stripe is asked: its PaymentIntent is known once Stripe answers.
ALTER TABLE payments
    ALTER COLUMN stripe_payment_intent_id DROP NOT NULL,
    DROP CONSTRAINT payments_refund_has_its_key,
    ADD CONSTRAINT payments_keyed CHECK ((kind = 'deposit') = (idempotency_key IS NULL)),
    ADD CONSTRAINT payments_intent_known CHECK (stripe_payment_intent_id IS NOT NULL OR kind = 'fee');

-- The reports sum a period's payments: by the day their row was made, not a walk of the salon's whole history.
CREATE INDEX payments_by_day ON payments (salon_id, created_at);
-- An export's pages walk a salon's rows in id order.
CREATE INDEX payments_salon_id ON payments (salon_id, id);
CREATE INDEX saved_cards_salon_id ON saved_cards (salon_id, id);
