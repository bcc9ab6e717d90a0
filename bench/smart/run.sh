#!/bin/sh
# Smart playlist evaluation on 100,000 tracks and 1,000,000 play events; prints a markdown table.
# usage: bench/smart/run.sh [DATA_DIR] [TRACKS] [PLAYS] [RUNS]   (the catalog is generated once per DATA_DIR)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dotnet build "$here/SmartBench.csproj" -c Release -v q -nologo >/dev/null
exec dotnet "$here/bin/Release/net10.0/SmartBench.dll" "${1:-/tmp/sillon-smart-bench}" "${2:-100000}" "${3:-1000000}" "${4:-50}"
