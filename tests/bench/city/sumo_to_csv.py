#!/usr/bin/env python3
"""SUMO routes (randomTrips.py -r ... --validate output) -> the city's `[city.trips]` CSV.

Usage: sumo_to_csv.py routes.rou.xml trips.csv [fringe.rou.xml]

Every <vehicle depart="..."> with a nested <route edges="..."/> that runs fringe to fringe
becomes one row `depart,route` (route = the SUMO edge ids, space-separated; `netgenerate --grid`
edge ids are exactly the link names of `[city.network] kind = "grid"`). Rows keep the file
order, which randomTrips writes sorted by departure; the script checks that (the city rejects
unsorted trips).

randomTrips' `--fringe-factor` makes fringe edges far more likely but not certain: a few trips
(6 of 10^5 on the 30 x 30 grid) start or end on an inner edge. The city requires routes from a
boundary node to a boundary node, so those are dropped, and the kept vehicles are also written
as a SUMO route file (third argument) so that both simulators run exactly the same trips.
Only the standard library is used (SUMO's sumolib is not needed).
"""
import csv
import re
import sys
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

# netgenerate's fringe nodes: left<row>, right<row>, bottom<column>, top<column>.
STARTS_AT_FRINGE = re.compile(r"^(left|right|top|bottom)\d+")
ENDS_AT_FRINGE = re.compile(r"(left|right|top|bottom)\d+$")


def convert(routes_path, csv_path, fringe_path=None):
    """Returns (trips kept, trips dropped)."""
    kept = dropped = 0
    last = float("-inf")
    sumo = open(fringe_path, "w") if fringe_path else None
    try:
        if sumo:
            sumo.write("<routes>\n")
        with open(csv_path, "w", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["depart", "route"])
            # iterparse: B has 10^5 vehicles; streaming keeps the memory small.
            for _, elem in ET.iterparse(routes_path, events=("end",)):
                if elem.tag != "vehicle":
                    continue
                depart_text = elem.get("depart")
                depart = float(depart_text)
                route = elem.find("route")
                if route is None:
                    sys.exit(f"{routes_path}: vehicle {elem.get('id')} has no nested <route> "
                             "(run randomTrips.py with -r and --validate)")
                if depart < last:
                    sys.exit(f"{routes_path}: vehicle {elem.get('id')} departs at {depart} "
                             f"before the previous one ({last}); trips must be sorted")
                last = depart
                edges = route.get("edges")
                ids = edges.split()
                if STARTS_AT_FRINGE.match(ids[0]) and ENDS_AT_FRINGE.search(ids[-1]):
                    writer.writerow([repr(depart), edges])
                    if sumo:
                        sumo.write(f"    <vehicle id={quoteattr(elem.get('id'))} "
                                   f"depart={quoteattr(depart_text)}><route "
                                   f"edges={quoteattr(edges)}/></vehicle>\n")
                    kept += 1
                else:
                    dropped += 1
                elem.clear()
        if sumo:
            sumo.write("</routes>\n")
    finally:
        if sumo:
            sumo.close()
    return kept, dropped


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    kept, dropped = convert(*sys.argv[1:])
    print(f"{sys.argv[2]}: {kept} trips ({dropped} not fringe to fringe, dropped)")
