-- The one account every node has from birth (baked into the image, never replicated):
-- vipchaos, the harness's admin account, reached from the host. The accounts a bundle's scripts
-- and replication use come from the bundle (accounts.sql, else harness/bundles/default-accounts.sql).
CREATE USER IF NOT EXISTS 'vipchaos'@'%' IDENTIFIED BY 'vipchaos';
GRANT ALL PRIVILEGES ON *.* TO 'vipchaos'@'%' WITH GRANT OPTION;
