-- The fees and refunds still pending, oldest change first: the worker's chore looks among them for one whose
-- payment job ended without an answer recorded (payments.requeue_stranded), every few seconds.
CREATE INDEX payments_pending_moves ON payments (updated_at) WHERE status = 'pending' AND kind <> 'deposit';
