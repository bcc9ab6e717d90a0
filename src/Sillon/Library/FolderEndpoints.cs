using Microsoft.AspNetCore.Http.HttpResults;

namespace Sillon.Library;

public sealed record FolderAdd(string? Path);

/// <summary>/api/v1/library/folders: the music folders, for administrators.</summary>
public static class FolderEndpoints
{
    public static void MapFolderEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/library/folders").WithTags("Library").RequireAuthorization("admin");
        group.MapGet("", async (LibraryFolders folders, CancellationToken ct) => TypedResults.Ok(await folders.ListAsync(ct)))
            .WithSummary("The music folders: from the configuration (source config, fixed) and added here (source admin), with their track counts");
        group.MapPost("", Add)
            .WithSummary("Add a music folder (an absolute path to a readable directory, not inside or around another one) and scan it");
        group.MapDelete("/{id:long}", Remove)
            .WithSummary("Remove a folder added here: its tracks leave the catalog at the scan this starts; configuration folders answer 409");
    }

    private static async Task<Results<Created<LibraryFolder>, ProblemHttpResult>> Add(FolderAdd? body, LibraryFolders folders, ScanTrigger trigger, CancellationToken ct)
    {
        var (error, message, folder) = await folders.AddAsync(body?.Path, ct);
        if (error == FolderError.Conflict) return TypedResults.Problem(message, statusCode: 409, title: "Already a music folder");
        if (error != FolderError.None) return TypedResults.Problem(message, statusCode: 400, title: "Not a usable music folder");
        trigger.RequestFolders([folder!.Path]);
        return TypedResults.Created($"/api/v1/library/folders/{folder.Id}", folder);
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> Remove(long id, LibraryFolders folders, ScanTrigger trigger, CancellationToken ct)
    {
        var (error, path) = await folders.RemoveAsync(id, ct);
        return error switch
        {
            FolderError.None => Accepted(trigger, path!),
            FolderError.Configured => TypedResults.Problem($"{path} is given in the configuration (--music, SILLON_MUSIC or sillon.json): remove it there", statusCode: 409),
            _ => TypedResults.Problem($"no music folder {id} was added here", statusCode: 404),
        };

        static Accepted Accepted(ScanTrigger trigger, string path)
        {
            // A folder scan of a path no root holds walks nothing; it deletes the detached root's tracks.
            trigger.RequestFolders([path]);
            return TypedResults.Accepted("/api/v1/scan");
        }
    }
}
