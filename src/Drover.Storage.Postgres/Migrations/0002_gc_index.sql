-- drover gc: terminal jobs by age, without scanning live ones.
CREATE INDEX ix_jobs_gc ON jobs (updated_at, id) WHERE state IN ('succeeded', 'failed', 'cancelled');
