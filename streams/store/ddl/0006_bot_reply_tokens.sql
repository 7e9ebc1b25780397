-- The generator's tokens per bot reply (contract v3): what a model endpoint bills, per tenant and profile.
ALTER TABLE bot_replies ADD COLUMN IF NOT EXISTS prompt_tokens Nullable(Int32) AFTER variant;
ALTER TABLE bot_replies ADD COLUMN IF NOT EXISTS completion_tokens Nullable(Int32) AFTER prompt_tokens;
