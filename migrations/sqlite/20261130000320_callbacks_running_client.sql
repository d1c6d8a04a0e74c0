-- A campaign attempt is refused while its phone is the client of a running callback job
-- (store::in_call): look those clients up by number instead of reading every running job's spec.
CREATE INDEX callbacks_running_client ON callbacks (json_extract(spec, '$.client')) WHERE state = 'running';
