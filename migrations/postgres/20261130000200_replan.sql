-- Re-planning (issue 16, item 2): a pending contact pushed to its zone's next window opening
-- keeps the time it was due before (NULL: not deferred), so a changed schedule can put it back.
ALTER TABLE contacts ADD COLUMN deferred_from BIGINT;
