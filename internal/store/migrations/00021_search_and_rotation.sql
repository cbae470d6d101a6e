-- +goose Up
-- Issue 18, items 14 and 15.

-- Rotate secret keeps the previous signing secret for a day: deliveries
-- carry a signature under each (Standard Webhooks allows several,
-- space-separated), so receivers can switch without losing one. Sealed
-- under the master key like the secret itself; NULL when none is kept.
ALTER TABLE webhooks ADD COLUMN previous_secret BLOB;
ALTER TABLE webhooks ADD COLUMN previous_until INTEGER;
