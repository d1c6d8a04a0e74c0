-- What each call heard (issue 16, item 5): a JSON array of short lines (nodes visited, text
-- spoken after templates, files played, digits, bridge targets and results, webhook exits).
ALTER TABLE attempts ADD COLUMN trace TEXT;
