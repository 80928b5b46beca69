/** 006 privilege ids (docs/tokens.md, "The 006 format"). */
export const PRIVILEGE_NAMES_006: Readonly<Record<number, string>> = {
  1: "joinChannel",
  2: "publishAudioStream",
  3: "publishVideoStream",
  4: "publishDataStream",
  5: "publishAudioCdn",
  6: "publishVideoCdn",
  7: "requestPublishAudioStream",
  8: "requestPublishVideoStream",
  9: "requestPublishDataStream",
  10: "invitePublishAudioStream",
  11: "invitePublishVideoStream",
  12: "invitePublishDataStream",
  101: "administrateChannel",
  1000: "rtmLogin",
};

/** 007 privilege ids per service type (docs/token-services.md, "The service types"). */
export const PRIVILEGE_NAMES_007: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  1: { 1: "joinChannel", 2: "publishAudioStream", 3: "publishVideoStream", 4: "publishDataStream" },
  2: { 1: "login" },
  3: { 1: "publishMixStream", 2: "publishRawStream" },
  4: { 1: "login" },
  5: { 1: "user", 2: "app" },
  6: { 1: "publish", 2: "play" },
  7: { 1: "roomUser", 2: "user", 3: "app" },
  8: { 1: "login" },
};
