#!/bin/bash
# Fails when the gateway does not answer: the node is cut off and must not hold the VIP.
exec ping -q -c 1 -W 1 "$1" >/dev/null 2>&1
