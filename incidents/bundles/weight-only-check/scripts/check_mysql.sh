#!/bin/bash
# Exit 1 when MySQL does not answer; keepalived lowers the priority by the weight (2).
/usr/local/mysql/bin/mysql -uhealthcheck -phealthcheck -h127.0.0.1 --connect-timeout=2 \
  -e "SELECT 1" >/dev/null 2>&1 || exit 1
