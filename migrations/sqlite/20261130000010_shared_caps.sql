-- Caps across dialers (issue 17): an attempt opens only while its campaign's and gateway's live
-- attempts and recent starts are under their caps, counted in the attempt's own transaction.
CREATE INDEX attempts_open_campaign ON attempts (campaign_id) WHERE ended_at IS NULL;
CREATE INDEX attempts_open_gateway ON attempts (gateway) WHERE ended_at IS NULL;
CREATE INDEX attempts_campaign_started ON attempts (campaign_id, started_at);
CREATE INDEX attempts_gateway_started ON attempts (gateway, started_at);
