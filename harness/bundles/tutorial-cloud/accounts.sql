-- On both masters: the replication account and the keepalived check's account.
CREATE USER 'repl'@'192.168.0.%' IDENTIFIED BY '123456';
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'192.168.0.%';
CREATE USER 'healthcheck'@'192.168.0.%' IDENTIFIED BY 'check123';
