"""An agency's own service: its inbox, its signed receipts, its view of its referrals."""
