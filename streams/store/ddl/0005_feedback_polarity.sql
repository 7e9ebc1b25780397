-- Agents and analysts correct a message's sentiment polarity as they correct its intent (contract v3): labels for
-- the sentiment retrain.
ALTER TABLE feedback ADD COLUMN IF NOT EXISTS corrected_polarity LowCardinality(Nullable(String)) AFTER corrected_intent;
