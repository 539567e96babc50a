#!/usr/bin/env python3
"""SUMO routes (randomTrips.py -r ... --validate output) -> the city's `[city.trips]` CSV.

Usage: sumo_to_csv.py routes.rou.xml trips.csv [fringe.rou.xml]

Only fringe-to-fringe trips are kept (first edge from a fringe node, last edge into one):
randomTrips' --fringe-factor makes almost every trip so, but a few start or end inside the grid,
where the city has no origin or destination. With a third argument the kept vehicles are also
written as SUMO routes, so both simulators run exactly the same trips.

Every <vehicle depart="..."> with a nested <route edges="..."/> becomes one row `depart,route`
(route = the SUMO edge ids, space-separated; `netgenerate --grid` edge ids are exactly the
link names of `[city.network] kind = "grid"`). Rows keep the file order, which randomTrips
writes sorted by departure; the script checks that (the city rejects unsorted trips).
Only the standard library is used (SUMO's sumolib is not needed).
"""
import csv
import re
import sys
import xml.etree.ElementTree as ET

FRINGE = r"(left|right|top|bottom)\d+"


def fringe_to_fringe(edges):
    """Whether a route of `netgenerate --grid` edge ids starts and ends at the fringe."""
    return re.match(FRINGE, edges[0]) is not None and re.search(FRINGE + "$", edges[-1]) is not None


def convert(routes_path, csv_path, sumo_path=None):
    rows = dropped = 0
    last = float("-inf")
    sumo = open(sumo_path, "w") if sumo_path else None
    if sumo:
        sumo.write("<routes>\n")
    with open(csv_path, "w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["depart", "route"])
        # iterparse: B has 10^5 vehicles; a full tree is fine but streaming is cheaper.
        for _, elem in ET.iterparse(routes_path, events=("end",)):
            if elem.tag != "vehicle":
                continue
            depart = float(elem.get("depart"))
            route = elem.find("route")
            if route is None:
                sys.exit(f"{routes_path}: vehicle {elem.get('id')} has no nested <route> "
                         "(run randomTrips.py with -r and --validate)")
            if depart < last:
                sys.exit(f"{routes_path}: vehicle {elem.get('id')} departs at {depart} "
                         f"before the previous one ({last}); trips must be sorted")
            last = depart
            edges = route.get("edges")
            if not fringe_to_fringe(edges.split()):
                dropped += 1
                elem.clear()
                continue
            writer.writerow([repr(depart), edges])
            if sumo:
                sumo.write(f'    <vehicle id="{elem.get("id")}" depart="{elem.get("depart")}">'
                           f'<route edges="{edges}"/></vehicle>\n')
            rows += 1
            elem.clear()
    if sumo:
        sumo.write("</routes>\n")
        sumo.close()
    if dropped:
        print(f"{csv_path}: dropped {dropped} trips that start or end inside the grid", file=sys.stderr)
    return rows


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    n = convert(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else None)
    print(f"{sys.argv[2]}: {n} trips")
