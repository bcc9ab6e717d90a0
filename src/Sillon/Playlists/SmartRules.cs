using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;

namespace Sillon.Playlists;

/// <summary>
/// A smart playlist's rules as stored (JSON in playlists.rules) and as the API takes them:
/// <c>{"match":"all","rules":[{"field":"genre","operator":"is","value":"Rock"}, {"match":"any","rules":[…]}],
/// "sort":{"field":"lastplayed","direction":"desc"},"limit":100}</c>. A rule is either a condition
/// (field, operator, value) or a nested group (match, rules).
/// </summary>
public sealed record SmartRuleSet
{
    public string? Match { get; init; }
    public IReadOnlyList<SmartRule>? Rules { get; init; }
    public SmartSort? Sort { get; init; }
    public int? Limit { get; init; }
}

public sealed record SmartRule
{
    public string? Field { get; init; }
    public string? Operator { get; init; }
    public JsonElement? Value { get; init; }
    public string? Match { get; init; }
    public IReadOnlyList<SmartRule>? Rules { get; init; }
}

public sealed record SmartSort(string? Field, string? Direction);

/// <summary>A rule set that cannot be used, with where (<c>rules[1].rules[0].operator</c>) and why.</summary>
public sealed class SmartRuleException(string at, string message) : Exception(message)
{
    public string At { get; } = at;
}

public enum FieldType { Text, Number, Date, Boolean }

/// <summary>A field rules may name: its type, the SQL it reads (never from the request), and whether it is the owner's.</summary>
/// <param name="Bare">For a per-user number: the column alone, NULL when the owner has no annotation for the track (Sql reads it as 0).</param>
public sealed record SmartField(string Name, FieldType Type, string Sql, bool PerUser = false, string? Bare = null)
{
    public IReadOnlyList<string> Operators => SmartRules.OperatorsFor(Type);
}

/// <summary>A compiled rule set: one parameterised query returning track ids in order.</summary>
public sealed record SmartQuery(string Sql, DynamicParameters Parameters);

/// <summary>
/// Validates a rule set and compiles it into one parameterised SQL query. Field names map to SQL
/// through the <see cref="Fields"/> whitelist and every value is a parameter, so nothing from the
/// request reaches the SQL text. The SQL is portable (LOWER/LIKE … ESCAPE, RANDOM(), CASE for
/// NULL ordering) so the PostgreSQL port runs it as it is.
/// </summary>
public static class SmartRules
{
    public const int MaxLimit = 10_000, MaxRules = 50, MaxDepth = 3, MaxTextLength = 500, MaxDays = 36_500;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    // Per-user columns come from the playlist owner's annotations, joined as "an".
    public static readonly IReadOnlyList<SmartField> Fields =
    [
        new("title", FieldType.Text, "t.title"),
        new("artist", FieldType.Text, "t.display_artist"),
        new("albumartist", FieldType.Text, "t.display_album_artist"),
        new("album", FieldType.Text, "a.name"),
        new("genre", FieldType.Text, "g.name"),
        new("composer", FieldType.Text, "t.composer"),
        new("format", FieldType.Text, "t.suffix"),
        new("codec", FieldType.Text, "t.codec"),
        new("path", FieldType.Text, "t.path"),
        new("year", FieldType.Number, "t.year"),
        new("bpm", FieldType.Number, "t.bpm"),
        new("duration", FieldType.Number, "t.duration"),
        new("bitrate", FieldType.Number, "t.bitrate"),
        new("tracknumber", FieldType.Number, "t.track_number"),
        new("discnumber", FieldType.Number, "t.disc_number"),
        new("playcount", FieldType.Number, "COALESCE(an.play_count, 0)", PerUser: true, Bare: "an.play_count"),
        new("rating", FieldType.Number, "COALESCE(an.rating, 0)", PerUser: true, Bare: "an.rating"),
        new("starred", FieldType.Boolean, "an.starred_at", PerUser: true),
        new("added", FieldType.Date, "t.created_at"),
        new("lastplayed", FieldType.Date, "an.played_at", PerUser: true),
        new("starredat", FieldType.Date, "an.starred_at", PerUser: true),
    ];

    private static readonly Dictionary<string, SmartField> ByName = Fields.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyList<string> OperatorsFor(FieldType type) => type switch
    {
        FieldType.Text => ["is", "isNot", "contains", "notContains", "startsWith", "endsWith"],
        FieldType.Number => ["is", "isNot", "gt", "lt", "between"],
        FieldType.Date => ["inTheLast", "notInTheLast", "before", "after", "between"],
        _ => ["isTrue", "isFalse"],
    };

    /// <summary>Sort fields: every field but genre (a track has several), plus "random".</summary>
    public static bool IsSortField(string field) => field == "random" || (ByName.TryGetValue(field, out var f) && f.Name != "genre");

    public static SmartRuleSet Parse(string json)
    {
        try { return JsonSerializer.Deserialize<SmartRuleSet>(json, Json) ?? throw new SmartRuleException("", "the rules are empty"); }
        catch (JsonException e) { throw new SmartRuleException(e.Path ?? "", $"the rules are not valid JSON: {e.Message}"); }
    }

    public static string Serialize(SmartRuleSet rules) => JsonSerializer.Serialize(rules, Json);

    /// <summary>Checks everything a rule set says; throws <see cref="SmartRuleException"/> naming the first problem.</summary>
    public static void Validate(SmartRuleSet set) => Compile(set, ownerId: 0, now: DateTimeOffset.UnixEpoch);

    /// <summary>
    /// The query for <paramref name="set"/> evaluated for <paramref name="ownerId"/> at <paramref name="now"/>
    /// (relative dates are computed here, in C#, and bound as parameters).
    /// </summary>
    public static SmartQuery Compile(SmartRuleSet set, long ownerId, DateTimeOffset now)
    {
        var compiler = new Compiler(now);
        var where = compiler.Group(set.Match, set.Rules, "", depth: 1);
        if (compiler.RuleCount > MaxRules) throw new SmartRuleException("rules", $"at most {MaxRules} rules");
        if (set.Limit is { } l && (l < 1 || l > MaxLimit)) throw new SmartRuleException("limit", $"limit must be between 1 and {MaxLimit}");
        var (order, sortsByAlbum, sortsByOwner) = OrderBy(set.Sort);
        compiler.Parameters.Add("owner", ownerId);
        compiler.Parameters.Add("limit", set.Limit ?? MaxLimit);
        // Joins only what the rules and the order read: each costs one lookup per candidate track.
        // (Per-user rules read the owner's annotations in subqueries; the join is for ordering.)
        var joins = (compiler.UsesAlbum || sortsByAlbum ? " JOIN albums a ON a.id = t.album_id" : "")
            + (sortsByOwner ? " LEFT JOIN annotations an ON an.user_id = @owner AND an.item_kind = 'track' AND an.item_id = t.id" : "");
        var sql = $"""
            SELECT t.id FROM tracks t{joins}
            WHERE {where}
            ORDER BY {order}
            LIMIT @limit
            """;
        return new SmartQuery(sql, compiler.Parameters);
    }

    /// <summary>The ORDER BY, and whether it reads albums or the owner's annotations (to join them).</summary>
    private static (string Sql, bool Album, bool Owner) OrderBy(SmartSort? sort)
    {
        if (sort?.Field is null) return ("t.display_album_artist, a.name, t.disc_number, t.track_number, t.id", true, false);
        var name = sort.Field.ToLowerInvariant();
        if (!IsSortField(name)) throw new SmartRuleException("sort.field", $"cannot sort by '{sort.Field}'; use random or one of: {string.Join(", ", Fields.Where(f => f.Name != "genre").Select(f => f.Name))}");
        if (name == "random") return ("RANDOM()", false, false);
        var direction = sort.Direction?.ToLowerInvariant() switch
        {
            null or "asc" => "ASC",
            "desc" => "DESC",
            _ => throw new SmartRuleException("sort.direction", "direction must be asc or desc"),
        };
        var field = ByName[name];
        // Empty values last in both directions and on both databases (they disagree on NULL order).
        return ($"CASE WHEN {field.Sql} IS NULL THEN 1 ELSE 0 END, {field.Sql} {direction}, t.id",
            field.Sql.StartsWith("a.", StringComparison.Ordinal), field.PerUser);
    }

    private sealed class Compiler(DateTimeOffset now)
    {
        public DynamicParameters Parameters { get; } = new();
        public int RuleCount;
        public bool UsesAlbum;
        private int _next;

        private string Bind(object? value)
        {
            var name = "p" + _next++;
            Parameters.Add(name, value);
            return "@" + name;
        }

        public string Group(string? match, IReadOnlyList<SmartRule>? rules, string at, int depth)
        {
            var join = match?.ToLowerInvariant() switch
            {
                null or "all" => " AND ",
                "any" => " OR ",
                _ => throw new SmartRuleException(Path(at, "match"), "match must be all or any"),
            };
            if (depth > MaxDepth) throw new SmartRuleException(at, $"groups nest at most {MaxDepth} deep");
            if (rules is null || rules.Count == 0)
            {
                if (depth == 1) return "1 = 1"; // no rules: every track (bounded by the limit)
                throw new SmartRuleException(Path(at, "rules"), "a group needs at least one rule");
            }
            var parts = new List<string>(rules.Count);
            for (var i = 0; i < rules.Count; i++)
            {
                var here = Path(at, $"rules[{i}]");
                var rule = rules[i] ?? throw new SmartRuleException(here, "a rule is missing");
                if (++RuleCount > MaxRules) throw new SmartRuleException(here, $"at most {MaxRules} rules");
                parts.Add(rule.Rules is not null || rule.Match is not null && rule.Field is null
                    ? Group(rule.Match, rule.Rules, here, depth + 1)
                    : Condition(rule, here));
            }
            return "(" + string.Join(join, parts) + ")";
        }

        private static string Path(string at, string name) => at.Length == 0 ? name : $"{at}.{name}";

        private string Condition(SmartRule rule, string at)
        {
            if (string.IsNullOrEmpty(rule.Field)) throw new SmartRuleException(Path(at, "field"), "a rule needs a field");
            if (!ByName.TryGetValue(rule.Field, out var field))
                throw new SmartRuleException(Path(at, "field"), $"unknown field '{rule.Field}'; known fields: {string.Join(", ", Fields.Select(f => f.Name))}");
            var op = rule.Operator ?? throw new SmartRuleException(Path(at, "operator"), "a rule needs an operator");
            var ops = OperatorsFor(field.Type);
            var known = ops.FirstOrDefault(o => string.Equals(o, op, StringComparison.OrdinalIgnoreCase))
                ?? throw new SmartRuleException(Path(at, "operator"), $"operator '{op}' does not apply to {field.Name} ({field.Type.ToString().ToLowerInvariant()}); use one of: {string.Join(", ", ops)}");
            var valueAt = Path(at, "value");
            UsesAlbum |= field.Sql.StartsWith("a.", StringComparison.Ordinal);
            var condition = field.Type switch
            {
                FieldType.Text => Text(field, known, TextValue(rule.Value, valueAt)),
                FieldType.Number => Number(field, known, rule.Value, valueAt),
                FieldType.Date => Date(field, known, rule.Value, valueAt),
                _ => known == "isTrue" ? $"{field.Sql} IS NOT NULL" : $"{field.Sql} IS NULL",
            };
            return field.PerUser ? OwnerCondition(condition, MatchesMissing(field, known, rule.Value)) : condition;
        }

        // A per-user condition becomes a set of the owner's annotated tracks rather than a join: a
        // condition a track without annotations cannot meet ("rating > 3") is "one of the owner's
        // tracks that meet it", read through the annotations' key; one that such a track meets
        // ("not played in 30 days") is "none of the owner's tracks that fail it". Either way the
        // database can combine it with other rules by index (an OR with "added in the last 30 days"
        // reads two short lists instead of every track). Inside, "an" is the subquery's own alias.
        // The negated conditions never evaluate to NULL (COALESCE, IS NULL), so NOT IN is exact.
        private static string OwnerCondition(string condition, bool matchesMissing) => matchesMissing
            ? $"t.id NOT IN (SELECT an.item_id FROM annotations an WHERE an.user_id = @owner AND an.item_kind = 'track' AND NOT ({condition}))"
            : $"t.id IN (SELECT an.item_id FROM annotations an WHERE an.user_id = @owner AND an.item_kind = 'track' AND {condition})";

        /// <summary>Whether a track the owner never played, rated or starred (no annotation: 0, NULL) meets the condition.</summary>
        private static bool MatchesMissing(SmartField field, string op, JsonElement? value) => field.Type switch
        {
            FieldType.Number when op == "between" => Pair(value, "", NumberValue) is var (low, high) && low <= 0 && 0 <= high,
            FieldType.Number => Matches(op, 0, NumberValue(value, "")),
            FieldType.Date => op == "notInTheLast",
            _ => op == "isFalse",
        };

        private string Text(SmartField field, string op, string value)
        {
            var lowered = value.ToLowerInvariant();
            string Like(string pattern) => $"LOWER({field.Sql}) LIKE {Bind(pattern)} ESCAPE '\\'";
            var positive = op switch
            {
                "is" or "isNot" => $"LOWER({field.Sql}) = {Bind(lowered)}",
                "contains" or "notContains" => Like("%" + EscapeLike(lowered) + "%"),
                "startsWith" => Like(EscapeLike(lowered) + "%"),
                _ => Like("%" + EscapeLike(lowered)),
            };
            var negative = op is "isNot" or "notContains";
            if (field.Name == "genre")
            {
                // A track has several genres: "is Rock" means one of them is; "is not Rock" means none is.
                // Nested INs, not a correlated EXISTS nor a join: the few matching genres lead to their
                // tracks through the genre index of track_genres. (With a join, SQLite without statistics scans all
                // of track_genres; with EXISTS it probes every track's genres.)
                return $"t.id {(negative ? "NOT IN" : "IN")} (SELECT tg.track_id FROM track_genres tg WHERE tg.genre_id IN (SELECT g.id FROM genres g WHERE {positive}))";
            }
            // A missing value (no composer) is "not X" and contains nothing.
            return negative ? $"({field.Sql} IS NULL OR NOT ({positive}))" : $"({field.Sql} IS NOT NULL AND {positive})";
        }

        private static string EscapeLike(string s) => s.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

        private static string TextValue(JsonElement? value, string at)
        {
            if (value is not { } v) throw new SmartRuleException(at, "a text value is required");
            var s = v.ValueKind switch
            {
                JsonValueKind.String => v.GetString()!,
                JsonValueKind.Number => v.GetRawText(),
                _ => throw new SmartRuleException(at, "a text value is required"),
            };
            if (s.Length == 0) throw new SmartRuleException(at, "the value is empty");
            if (s.Length > MaxTextLength) throw new SmartRuleException(at, $"at most {MaxTextLength} characters");
            return s;
        }

        private string Number(SmartField field, string op, JsonElement? value, string at)
        {
            if (op == "between")
            {
                var (low, high) = Pair(value, at, NumberValue);
                if (low > high) throw new SmartRuleException(at, "between needs [low, high] with low ≤ high");
                var column = field.Bare is not null && low > 0 ? field.Bare : field.Sql;
                return $"{column} BETWEEN {Bind(low)} AND {Bind(high)}";
            }
            var n = NumberValue(value, at);
            var sql = field.Sql;
            // A track the owner never played or rated has no annotation row and counts as 0. When 0
            // cannot match anyway ("play count > 5"), read the column bare: the condition then rejects
            // the missing row, and the database can start from the owner's annotations instead of
            // probing every track.
            if (field.Bare is not null && !Matches(op, 0, n)) sql = field.Bare;
            return op switch
            {
                "is" => $"{sql} = {Bind(n)}",
                "isNot" => $"({sql} IS NULL OR {sql} <> {Bind(n)})",
                "gt" => $"{sql} > {Bind(n)}",
                _ => $"{sql} < {Bind(n)}",
            };
        }

        private static bool Matches(string op, double x, double n) => op switch
        {
            "is" => x == n,
            "isNot" => x != n,
            "gt" => x > n,
            _ => x < n,
        };

        private static double NumberValue(JsonElement? value, string at)
        {
            if (value is { ValueKind: JsonValueKind.Number } v && v.TryGetDouble(out var d) && double.IsFinite(d)) return d;
            if (value is { ValueKind: JsonValueKind.String } s && double.TryParse(s.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out d) && double.IsFinite(d)) return d;
            throw new SmartRuleException(at, "a number is required");
        }

        private static (T, T) Pair<T>(JsonElement? value, string at, Func<JsonElement?, string, T> one)
        {
            if (value is not { ValueKind: JsonValueKind.Array } v || v.GetArrayLength() != 2)
                throw new SmartRuleException(at, "between needs a list of two values: [from, to]");
            return (one(v[0], at + "[0]"), one(v[1], at + "[1]"));
        }

        private string Date(SmartField field, string op, JsonElement? value, string at)
        {
            switch (op)
            {
                case "inTheLast":
                case "notInTheLast":
                    var days = NumberValue(value, at);
                    if (days != Math.Floor(days) || days < 1 || days > MaxDays) throw new SmartRuleException(at, $"a whole number of days from 1 to {MaxDays}");
                    var cutoff = Bind(Iso(now.AddDays(-days)));
                    // Never played is "not played in the last N days".
                    return op == "inTheLast" ? $"{field.Sql} >= {cutoff}" : $"({field.Sql} IS NULL OR {field.Sql} < {cutoff})";
                case "between":
                    var (from, to) = Pair(value, at, DateValue);
                    if (from > to) throw new SmartRuleException(at, "between needs [from, to] with from ≤ to");
                    return $"({field.Sql} >= {Bind(Iso(from))} AND {field.Sql} < {Bind(Iso(to.AddDays(1)))})";
                case "before":
                    return $"{field.Sql} < {Bind(Iso(DateValue(value, at)))}";
                default:
                    return $"{field.Sql} >= {Bind(Iso(DateValue(value, at).AddDays(1)))}";
            }
        }

        private static DateTimeOffset DateValue(JsonElement? value, string at)
        {
            if (value is { ValueKind: JsonValueKind.String } v
                && DateTime.TryParseExact(v.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d))
                return new DateTimeOffset(d, TimeSpan.Zero);
            throw new SmartRuleException(at, "a date like 2024-12-31 is required");
        }

        // The stored timestamps are ISO-8601 UTC text, which compares in time order as text.
        private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }
}
