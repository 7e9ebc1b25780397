-- Dead letters identify the original record by size and SHA-256 and keep a PII-masked preview; still no raw bytes.
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS original_sha256 String DEFAULT '' AFTER original_size;
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS preview Nullable(String) AFTER original_sha256;
