namespace Sillon.Listening;

/// <summary>
/// Why a track was suggested. Kind is one of loved, played, mix, listeners, genre, related, popular,
/// new; Name is the track, album or artist it comes from; New says the listener never heard it.
/// Text is the English sentence; the web player builds its own from the other fields.
/// </summary>
public sealed record FlowReason(string Kind, string? Name, string? Genre, bool New)
{
    public string Text
    {
        get
        {
            var text = Kind switch
            {
                "loved" => $"Because you love {Name}",
                "played" => $"Because you played {Name}",
                "mix" => $"Similar to {Name}",
                "listeners" => $"Listeners of {Name} also play this",
                "genre" => $"Same genre as {Name} ({Genre})",
                "related" => $"Related to {Name} on MusicBrainz",
                "popular" => "Popular on this server",
                _ => "Something you have not heard yet",
            };
            return New && Kind != "new" ? "New to you: " + char.ToLowerInvariant(text[0]) + text[1..] : text;
        }
    }
}

public sealed record FlowPick(long TrackId, FlowReason Reason, double Score);

/// <summary>A track gathering weight from every pool that proposed it; the largest single contribution gives the reason.</summary>
internal sealed class FlowCandidate(long trackId)
{
    public long TrackId { get; } = trackId;
    public double Score { get; private set; }
    public FlowReason? Reason { get; private set; }
    private double _best;
    public long ArtistId { get; set; }
    /// <summary>Ever played or skipped by this listener.</summary>
    public bool Heard { get; set; }

    public void Add(double weight, FlowReason reason)
    {
        if (weight <= 0) return;
        Score += weight;
        if (weight > _best) { _best = weight; Reason = reason; }
    }

    public void Scale(double factor) => Score *= factor;

    public void MarkNew() => Reason = Reason is null ? null : Reason with { New = true };
}

/// <summary>
/// The pure half of Flow: from scored candidates to an ordered pick, with no database. Weighted
/// sampling without replacement (Efraimidis–Spirakis: key = ln(u) / weight, largest keys win) over
/// candidates in id order with a seeded Random, so a seed and a state always give the same list.
/// Tracks never heard fill every third place when there are some ("fresh discoveries mixed in");
/// tracks inside the repeat window are used only when nothing else is left, so the stream never ends.
/// </summary>
internal static class FlowMixer
{
    /// <summary>How much a skip weighs against a play: two skips undo about one play.</summary>
    public static double SkipFactor(long plays, long skips) => (1.0 + plays) / (1.0 + plays + 2.0 * skips);

    public static List<FlowPick> Pick(IEnumerable<FlowCandidate> candidates, ISet<long> window, int count, Random random)
    {
        var ordered = candidates.Where(c => c.Score > 0 && c.Reason is not null).OrderBy(c => c.TrackId).ToList();
        // One draw per candidate, in id order, whatever group it lands in: the keys do not depend on the window.
        var keyed = ordered.Select(c => (Candidate: c, Key: Math.Log(1.0 - random.NextDouble()) / c.Score)).ToList();
        List<FlowCandidate> Rank(Func<FlowCandidate, bool> where) =>
            keyed.Where(k => where(k.Candidate)).OrderByDescending(k => k.Key).ThenBy(k => k.Candidate.TrackId).Select(k => k.Candidate).ToList();
        var heard = new Queue<FlowCandidate>(Rank(c => c.Heard && !window.Contains(c.TrackId)));
        var fresh = new Queue<FlowCandidate>(Rank(c => !c.Heard && !window.Contains(c.TrackId)));
        var stale = new Queue<FlowCandidate>(Rank(c => window.Contains(c.TrackId)));

        var picked = new List<FlowCandidate>(count);
        while (picked.Count < count && (heard.Count > 0 || fresh.Count > 0 || stale.Count > 0))
        {
            var wantFresh = picked.Count % 3 == 2;
            var next = wantFresh && fresh.Count > 0 ? fresh.Dequeue()
                : heard.Count > 0 ? heard.Dequeue()
                : fresh.Count > 0 ? fresh.Dequeue()
                : stale.Dequeue();
            picked.Add(next);
        }
        Spread(picked);
        return picked.Select(c => new FlowPick(c.TrackId, c.Reason!, c.Score)).ToList();
    }

    /// <summary>Moves a track forward past a neighbour by the same artist when another artist is available later.</summary>
    private static void Spread(List<FlowCandidate> picked)
    {
        for (var i = 1; i < picked.Count; i++)
        {
            if (picked[i].ArtistId == 0 || picked[i].ArtistId != picked[i - 1].ArtistId) continue;
            var j = picked.FindIndex(i + 1, c => c.ArtistId != picked[i - 1].ArtistId);
            if (j < 0) return;
            (picked[i], picked[j]) = (picked[j], picked[i]);
        }
    }
}
