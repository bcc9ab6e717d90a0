// The suite drives Linux tools (ffmpeg, metaflac, setpriv, mount) and runs where Sillon is deployed.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
