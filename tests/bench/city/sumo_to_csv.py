#!/usr/bin/env python3
"""SUMO routes (randomTrips.py -r ... --validate output) -> the city's `[city.trips]` CSV.

Usage: sumo_to_csv.py routes.rou.xml trips.csv

Every <vehicle depart="..."> with a nested <route edges="..."/> becomes one row `depart,route`
(route = the SUMO edge ids, space-separated; `netgenerate --grid` edge ids are exactly the
link names of `[city.network] kind = "grid"`). Rows keep the file order, which randomTrips
writes sorted by departure; the script checks that (the city rejects unsorted trips).
Only the standard library is used (SUMO's sumolib is not needed).
"""
import csv
import sys
import xml.etree.ElementTree as ET


def convert(routes_path, csv_path):
    rows = 0
    last = float("-inf")
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
            writer.writerow([repr(depart), route.get("edges")])
            rows += 1
            elem.clear()
    return rows


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    n = convert(sys.argv[1], sys.argv[2])
    print(f"{sys.argv[2]}: {n} trips")
