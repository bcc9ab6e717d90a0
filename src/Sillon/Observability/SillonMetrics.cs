using System.Diagnostics.Metrics;
using Sillon.Library;

namespace Sillon.Observability;

/// <summary>The one Meter of Sillon. Names follow OpenTelemetry conventions; Prometheus sees them as sillon_…</summary>
public sealed class SillonMetrics
{
    public const string MeterName = "Sillon";
    private readonly Counter<long> _scans, _scanFiles, _streamBytes, _streams;
    private readonly UpDownCounter<long> _activeStreams, _activeTranscodes;
    private readonly Counter<long> _transcodes, _transcodeCacheHits, _transcodePauses, _subsonicCache;
    private readonly Meter _meter;
    private long _catalogTracks;

    public SillonMetrics(IMeterFactory meters)
    {
        var meter = _meter = meters.Create(MeterName);
        _scans = meter.CreateCounter<long>("sillon.scan.runs", description: "Library scans finished, by status");
        _scanFiles = meter.CreateCounter<long>("sillon.scan.files", description: "Files handled by scans, by result");
        _streams = meter.CreateCounter<long>("sillon.stream.requests", description: "Stream requests served");
        _streamBytes = meter.CreateCounter<long>("sillon.stream.bytes", unit: "By", description: "Audio bytes sent to listeners");
        _activeStreams = meter.CreateUpDownCounter<long>("sillon.stream.active", description: "Streams being sent now");
        _transcodes = meter.CreateCounter<long>("sillon.transcode.started", description: "ffmpeg processes started");
        _transcodeCacheHits = meter.CreateCounter<long>("sillon.transcode.cache_hits", description: "Transcodes served from the disk cache");
        _activeTranscodes = meter.CreateUpDownCounter<long>("sillon.transcode.active", description: "ffmpeg processes alive now, running or paused");
        _transcodePauses = meter.CreateCounter<long>("sillon.transcode.pauses", description: "Times the scheduler paused an encoder for a needier one");
        _subsonicCache = meter.CreateCounter<long>("sillon.subsonic.cache", description: "Subsonic answers looked up in the response cache, by result (hit, miss)");
        meter.CreateObservableGauge("sillon.catalog.tracks", () => Volatile.Read(ref _catalogTracks), description: "Tracks in the catalog");
    }

    public void ScanFinished(ScanSummary summary)
    {
        _scans.Add(1, new KeyValuePair<string, object?>("status", summary.Status));
        Files("added", summary.Added);
        Files("updated", summary.Updated);
        Files("removed", summary.Removed);
        Files("unchanged", summary.Unchanged);
        Files("moved", summary.Moved);
        Files("error", summary.Errors.Count);
    }

    private void Files(string result, long count)
    {
        if (count > 0) _scanFiles.Add(count, new KeyValuePair<string, object?>("result", result));
    }

    public void SetCatalogTracks(long tracks) => Volatile.Write(ref _catalogTracks, tracks);

    public void StreamStarted() { _streams.Add(1); _activeStreams.Add(1); }

    public void StreamEnded(long bytes) { _activeStreams.Add(-1); _streamBytes.Add(bytes); }

    public void TranscodeStarted() { _transcodes.Add(1); _activeTranscodes.Add(1); }

    public void TranscodeEnded() => _activeTranscodes.Add(-1);

    public void TranscodeCacheHit() => _transcodeCacheHits.Add(1);

    public void SubsonicCache(bool hit) => _subsonicCache.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    public void TranscodePaused() => _transcodePauses.Add(1);

    /// <summary>The encoder scheduler's split of the live processes.</summary>
    public void ObserveEncoders(Func<int> running, Func<int> paused)
    {
        _meter.CreateObservableGauge("sillon.transcode.running", running, description: "ffmpeg processes allowed to run now");
        _meter.CreateObservableGauge("sillon.transcode.paused", paused, description: "ffmpeg processes paused by the scheduler now");
    }
}
