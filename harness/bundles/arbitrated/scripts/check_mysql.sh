#!/bin/bash
# The tutorial's check: if MySQL does not answer, stop keepalived so the VIP moves.
# (No timeout of its own: a hung mysqld makes the client wait; that is the point of the seed.)
MYSQL=/usr/local/mysql/bin/mysql
if ! $MYSQL -uhealthcheck -phealthcheck -h127.0.0.1 -e "SELECT 1" >/dev/null 2>&1; then
    /etc/init.d/keepalived stop
fi
