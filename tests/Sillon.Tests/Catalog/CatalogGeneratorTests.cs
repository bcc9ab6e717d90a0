using Sillon.Catalog.Generator;

namespace Sillon.Tests.Catalog;

/// <summary>The generator itself, without a database: what the bulk loaders receive.</summary>
public sealed class CatalogGeneratorTests
{
    private static readonly SampleAudio.Sample[] Samples =
        [new("/samples/a.wav", 1000, 0, 20, 352, 22050, 16, 1, "pcm_s16le", "wav", "audio/wav")];

    private static CatalogGenerator Generator(long tracks) =>
        new(tracks, seed: 9, Samples, "/music", new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Batches_generated_ahead_are_the_same_batches_in_the_same_order()
    {
        var direct = Generator(20_000).Batches().ToList();
        var ahead = Generator(20_000).BatchesAhead(CancellationToken.None).ToList();
        Assert.Equal(20_000, ahead.Sum(b => b.Tracks.Count));
        Assert.Equal(direct.Count, ahead.Count);
        for (var i = 0; i < direct.Count; i++)
        {
            Assert.Equal(direct[i].Artist, ahead[i].Artist);
            Assert.Equal(direct[i].Albums, ahead[i].Albums);
            Assert.Equal(direct[i].Tracks, ahead[i].Tracks);
        }
    }

    [Fact]
    public void A_loader_that_stops_early_stops_the_generator_too()
    {
        // A hundred million tracks, and ToList disposes the enumerator, which waits for the producer
        // thread: this returns only if the producer, blocked on a full queue, is told to stop.
        var first = Generator(100_000_000).BatchesAhead(CancellationToken.None).Take(3).ToList();
        Assert.Equal([1L, 2L, 3L], first.Select(b => b.Artist.Id));
    }

    [Fact]
    public void A_cancelled_load_ends_with_a_cancellation()
    {
        using var cancel = new CancellationTokenSource();
        var seen = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var _ in Generator(100_000_000).BatchesAhead(cancel.Token))
                if (++seen == 10) cancel.Cancel();
        });
        Assert.Equal(10, seen);
    }
}
