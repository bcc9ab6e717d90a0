using Sillon.Listening;

namespace Sillon.Tests.Listening;

/// <summary>The pure half of Flow: sampling, the fresh-track slots, the repeat window, artist spacing.</summary>
public sealed class FlowMixerTests
{
    private static FlowCandidate Candidate(long id, double score, bool heard, long artist)
    {
        var c = new FlowCandidate(id) { Heard = heard, ArtistId = artist };
        c.Add(score, new FlowReason(heard ? "played" : "new", $"t{id}", null, !heard));
        return c;
    }

    [Fact]
    public void The_same_seed_gives_the_same_pick_and_another_seed_another()
    {
        var candidates = Enumerable.Range(1, 40).Select(i => Candidate(i, 1 + i % 5, i % 2 == 0, i % 7)).ToList();
        var a = FlowMixer.Pick(candidates, new HashSet<long>(), 10, new Random(42)).Select(p => p.TrackId);
        var b = FlowMixer.Pick(candidates.AsEnumerable().Reverse(), new HashSet<long>(), 10, new Random(42)).Select(p => p.TrackId);
        var c = FlowMixer.Pick(candidates, new HashSet<long>(), 10, new Random(43)).Select(p => p.TrackId);
        Assert.Equal(a, b); // the order candidates arrive in does not matter
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Every_third_place_is_a_track_never_heard_when_there_is_one()
    {
        var candidates = Enumerable.Range(1, 30).Select(i => Candidate(i, i <= 20 ? 10 : 0.1, heard: i <= 20, artist: i)).ToList();
        var picks = FlowMixer.Pick(candidates, new HashSet<long>(), 9, new Random(1));
        Assert.Equal([false, false, true, false, false, true, false, false, true], picks.Select(p => p.Reason.New));
    }

    [Fact]
    public void Tracks_in_the_window_come_only_when_nothing_else_is_left()
    {
        var candidates = Enumerable.Range(1, 6).Select(i => Candidate(i, i <= 3 ? 100 : 1, heard: true, artist: i)).ToList();
        var picks = FlowMixer.Pick(candidates, new HashSet<long> { 1, 2, 3 }, 5, new Random(3)).Select(p => p.TrackId).ToList();
        Assert.Equal(5, picks.Count);
        Assert.Equal([4L, 5L, 6L], picks.Take(3).Order());
        Assert.All(picks.Skip(3), id => Assert.Contains(id, new long[] { 1, 2, 3 }));
    }

    [Fact]
    public void One_artist_does_not_play_twice_in_a_row_when_another_is_available()
    {
        var candidates = Enumerable.Range(1, 8).Select(i => Candidate(i, i <= 6 ? 50 : 1, heard: true, artist: i <= 6 ? 1 : 2)).ToList();
        var artists = FlowMixer.Pick(candidates, new HashSet<long>(), 8, new Random(9)).Select(p => p.TrackId <= 6 ? 1 : 2).ToList();
        Assert.Equal(8, artists.Count);
        for (var i = 1; i < artists.Count; i++) Assert.False(artists[i] == 1 && artists[i - 1] == 1 && artists.Skip(i + 1).Contains(2), string.Join(",", artists));
    }

    [Theory]
    [InlineData(0, 0, 1.0)]
    [InlineData(1, 0, 1.0)]
    [InlineData(1, 1, 0.5)]
    [InlineData(0, 3, 1.0 / 7)]
    public void Skips_scale_weight_down(long plays, long skips, double expected) =>
        Assert.Equal(expected, FlowMixer.SkipFactor(plays, skips), 6);

    [Theory]
    [InlineData(120_000, 240_000, false)] // half of a 4-minute track
    [InlineData(119_999, 240_000, true)]
    [InlineData(240_000, 3_600_000, false)] // four minutes of an hour
    [InlineData(200_000, 3_600_000, true)]
    [InlineData(0, 0, false)] // a zero-length track cannot be skipped
    public void A_play_counts_at_half_the_track_or_four_minutes(long heard, long duration, bool skip) =>
        Assert.Equal(skip, PlayHistory.IsSkip(heard, duration));
}
