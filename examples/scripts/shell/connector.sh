#!/bin/sh
# A complete ecmahost script connector in POSIX shell with jq: one JSON array per object type in $DATA_DIR.
# The host runs it once per request (mode: per_request) with `filtering: host`: `search` lists every object and the
# host filters, sorts and pages. Protocol 1 of docs/script-connector.md; the request arrives on stdin.
set -eu
DATA_DIR="${DATA_DIR:-shell-data}"
request=$(cat)
op=$(printf '%s' "$request" | jq -r .operation)
type=$(printf '%s' "$request" | jq -r '.object_type // ""')
mkdir -p "$DATA_DIR"
file="$DATA_DIR/$type.json"
if [ -n "$type" ] && [ ! -f "$file" ]; then echo '[]' >"$file"; fi

# Shared jq definitions: case folding and the rules a database would enforce (required, unique).
RULES='
def key($a; $v): if ($v | type) == "string" and ($a.case_exact | not) then ($v | ascii_downcase) else $v end;
def blank($v): $v == null or $v == "" or $v == [];
def problems($d; $new; $others):
  ([$d.attributes | to_entries[] | select(.value.required and blank($new[.key])) | .key]) as $missing
  | ([$d.attributes | to_entries[] | select((.value.unique or .key == $d.anchor) and (blank($new[.key]) | not))
      | . as $e | select(any($others[]; key($e.value; .[$e.key]) == key($e.value; $new[$e.key]))) | .key]) as $taken
  | if ($missing | length) > 0 then {error: {kind: "constraint", detail: "\($missing[0]) is required"}}
    elif ($taken | length) > 0 then {error: {kind: "exists", detail: "another object already has this \($taken[0])"}}
    else null end;
'

# Write the new array (stdin) atomically: a temporary file renamed over the old one.
save() { tmp=$(mktemp "$DATA_DIR/.tmp.XXXXXX"); cat >"$tmp"; mv "$tmp" "$1"; }

# Run a write: jq prints {error} or {answer, all}; keep `all` as the new file content and print `answer`.
write() {
  result=$(jq -c --argjson req "$request" "$RULES $1" "$file")
  if printf '%s' "$result" | jq -e 'has("error")' >/dev/null; then printf '%s\n' "$result"; return; fi
  printf '%s' "$result" | jq -c .all | save "$file"
  printf '%s' "$result" | jq -c .answer
}

case "$op" in
check) echo '{}' ;;
schema) echo '{"object_classes": []}' ;;
search) jq -c '{total: length, records: .}' "$file" ;;
get)
  jq -c --argjson req "$request" '[.[] | select(.[$req.definition.anchor] == $req.anchor)]
    | if length == 0 then {error: {kind: "not_found", detail: "no such object"}} else {record: .[0]} end' "$file"
  ;;
create)
  id=$(cat /proc/sys/kernel/random/uuid 2>/dev/null || uuidgen)
  write '. as $all | $req.definition as $d
    | ($req.record | with_entries(select(.value != null)) | .[$d.anchor] //= "'"$id"'") as $new
    | (problems($d; $new; $all) // {answer: {record: $new}, all: ($all + [$new])})'
  ;;
update)
  write '. as $all | $req.definition as $d | $req.change as $c
    | ([$all[] | select(.[$d.anchor] == $req.anchor)] | first) as $old
    | if $old == null then {error: {kind: "not_found", detail: "no such object"}} else
      ($old + $c.set + $c.replace | with_entries(select(.value != null))) as $set
      | (if $c.clear_members then [] else ($set.members // []) end) as $kept
      | ($set | if ($d.has_members) then .members = ((($kept - $c.remove_members) + ($c.add_members - $c.remove_members))
          | reduce .[] as $m ([]; if index([$m]) then . else . + [$m] end)) else . end) as $new
      | (problems($d; $new; [$all[] | select(.[$d.anchor] != $req.anchor)])
         // {answer: {}, all: [$all[] | if .[$d.anchor] == $req.anchor then $new else . end]}) end'
  ;;
delete)
  write '. as $all | $req.definition.anchor as $a
    | if any($all[]; .[$a] == $req.anchor) then {answer: {}, all: [$all[] | select(.[$a] != $req.anchor)]}
      else {error: {kind: "not_found", detail: "no such object"}} end'
  groups="$DATA_DIR/Group.json"
  if [ "$type" != "Group" ] && [ -f "$groups" ]; then
    jq -c --argjson req "$request" '[.[] | if .members then .members -= [$req.anchor] else . end]' "$groups" | save "$groups"
  fi
  ;;
*) jq -nc --arg op "$op" '{error: {kind: "configuration", detail: "operation \($op) is not supported"}}' ;;
esac
