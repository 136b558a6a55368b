#!/bin/bash
# Fails when the gateway answers none of 12 pings sent over 0.66 s. Any reply is enough, so a
# lossy link does not flap the VIP: at 30 % loss each way, about 1 run in 3,000 fails. A
# failing run takes ~0.9 s, under the 1 s interval.
# With fall 1, an isolated node enters FAULT within ~1.9 s of the isolation (the run in
# progress may still see a reply; the next one fails). Its peer takes the VIP 2.6 s after the
# isolation at the earliest: the master-down interval (3 x advert_int + skew) counts from the
# last advert the peer heard, which can be one advert_int before the isolation. So the isolated
# node drops the VIP before its peer takes it.
# Before this, 3 pings with fall 2 took up to ~2.7 s, racing the peer's 2.6 s; in one of three
# CI runs the isolated node lost by 12 ms.
exec ping -q -n -c 12 -i 0.06 -W 0.2 "$1" >/dev/null 2>&1
