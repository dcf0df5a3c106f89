; Inno Setup 6 script: the Windows installer for Simvid Desktop.
;
; Built by .github/workflows/release.yml after `pyinstaller build.spec`:
;   iscc /DAppVersion=0.1.0 packaging\windows\simvid.iss
; Input: dist\Simvid Desktop\ (the one-folder build). Output: dist\SimvidDesktop-VERSION-setup.exe
;
; Installs per user (no admin rights) by default; the first page offers all users. User data,
; settings, logs and cache are never in the install folder (they live under
; %LOCALAPPDATA%\Simvid\SimvidDesktop, see simvid_desktop/paths.py), so an uninstall or an
; upgrade leaves the user's queue and settings alone.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\Simvid Desktop"
#endif
#define AppName "Simvid Desktop"
#define AppExe "SimvidDesktop.exe"

[Setup]
AppId={{6A8AF68D-54F2-4B82-A31F-D4515A35C331}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Simvid
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=SimvidDesktop-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\simvid.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder build: SimvidDesktop.exe (the window, no console), simvid.exe (the
; command line) and _internal\ (Python, Qt, ffmpeg, resources).
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundle's libraries wholesale: no stale files from an older version.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
