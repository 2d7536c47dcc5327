-- Issue 26: the modification time (nanoseconds since 1970) a landed file had when ingest read
-- it. A later run that finds the file with the same size and modification time as its latest
-- version takes it as unchanged without reading it to hash it again: with thousands of landed
-- files a run with nothing new took a minute and grew with every file. Null for versions
-- recorded before this column (those are hashed once more, then carry it).
alter table ingest.files add column if not exists mtime_ns bigint;
