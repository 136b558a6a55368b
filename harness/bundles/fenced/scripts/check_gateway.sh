#!/bin/bash
# Fails when the gateway answers none of 3 pings sent over 0.4 s (any reply is enough, so a
# lossy link does not flap the VIP; a failing run takes ~0.7 s). With interval 1 and fall 2 an
# isolated node enters FAULT within ~2.7 s, before its peer's master-down interval (~3.6 s)
# ends: the isolated node drops the VIP before the peer takes it.
exec ping -q -n -c 3 -i 0.2 -W 0.3 "$1" >/dev/null 2>&1
