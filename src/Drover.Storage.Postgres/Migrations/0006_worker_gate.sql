-- Why a live worker is not claiming (low memory or disk, runs/ not writable); NULL when it claims.
ALTER TABLE workers ADD COLUMN gate TEXT;
