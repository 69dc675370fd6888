// Interface texts in Vietnamese (default) and English. Question texts come from the
// questionnaire itself (label_vi / label_en); these are only the app's own words.
const TEXTS = {
  app_title: ["Rà soát hộ nghèo", "Poverty household review"],
  new_household: ["+ Hộ mới", "+ New household"],
  sync_now: ["Đồng bộ ngay", "Sync now"],
  syncing: ["Đang đồng bộ…", "Syncing…"],
  offline: ["Không có mạng — dữ liệu vẫn được lưu trên máy", "Offline — your work is kept on this device"],
  online: ["Có mạng", "Online"],
  language: ["English", "Tiếng Việt"],
  drafts: ["Đang nhập (nháp)", "Drafts"],
  finalized: ["Đã hoàn tất, chờ gửi", "Finalized, waiting to be sent"],
  sent: ["Đã gửi", "Sent"],
  rejected: ["Bị từ chối", "Rejected"],
  conflict: ["Xung đột phiên bản", "Version conflicts"],
  returned: ["Xã trả lại", "Returned by the commune"],
  assignments: ["Hộ kỳ trước cần rà soát lại", "Last round's households to revisit"],
  none: ["Không có", "None"],
  no_name: ["(chưa có tên chủ hộ)", "(no head's name yet)"],
  start: ["Bắt đầu rà soát", "Start"],
  back_to_list: ["← Danh sách", "← List"],
  previous: ["← Trước", "← Previous"],
  next: ["Tiếp →", "Next →"],
  finish_page: ["Kiểm tra và hoàn tất", "Check and finalize"],
  finalize: ["Hoàn tất hộ này", "Finalize this household"],
  finalize_blocked: ["Còn lỗi cần sửa trước khi hoàn tất:", "Fix these problems before finalizing:"],
  all_good: ["Không còn lỗi. Hoàn tất để đưa vào hộp thư đi.", "No problems left. Finalize to put it in the outbox."],
  finalized_note: ["Hộ đã hoàn tất; sẽ được gửi khi đồng bộ.", "Finalized; it will be sent at the next sync."],
  sent_note: ["Đã gửi lên máy chủ", "Sent to the server"],
  edit_again: ["Sửa và gửi lại", "Edit and send again"],
  reopen: ["Mở lại để sửa", "Reopen to edit"],
  delete_draft: ["Xoá bản nháp", "Delete draft"],
  confirm_delete: ["Xoá bản nháp này? Không thể hoàn tác.", "Delete this draft? This cannot be undone."],
  add_member: ["+ Thêm thành viên", "+ Add a member"],
  member: ["Thành viên thứ", "Member"],
  move_up: ["↑ Lên", "↑ Up"],
  move_down: ["↓ Xuống", "↓ Down"],
  remove: ["Xoá", "Remove"],
  confirm_remove_member: ["Xoá thành viên này?", "Remove this member?"],
  yes: ["Có", "Yes"],
  no: ["Không", "No"],
  choose: ["— Chọn —", "— Choose —"],
  gps_get: ["Lấy vị trí GPS", "Get GPS location"],
  gps_clear: ["Xoá vị trí", "Clear location"],
  gps_waiting: ["Đang lấy vị trí…", "Getting the location…"],
  gps_denied: ["Không lấy được vị trí (chưa cho phép hoặc không có tín hiệu). Có thể bỏ qua câu này.", "No location (not allowed or no signal). You may skip this question."],
  accuracy: ["độ chính xác", "accuracy"],
  saved: ["Đã lưu trên máy", "Saved on this device"],
  not_saved: ["CHƯA LƯU ĐƯỢC trên máy!", "NOT SAVED on this device!"],
  server_errors: ["Máy chủ từ chối hộ này:", "The server rejected this household:"],
  commune_comment: ["Ý kiến của xã:", "The commune's comment:"],
  version: ["phiên bản", "version"],
  conflict_title: ["Hộ này đã có phiên bản khác trên máy chủ", "The server has another version of this household"],
  conflict_mine: ["Bản trên máy này", "This device's version"],
  conflict_server: ["Bản trên máy chủ", "The server's version"],
  keep_mine: ["Gửi bản của tôi (thay bản trên máy chủ)", "Send mine (replaces the server's)"],
  take_server: ["Dùng bản trên máy chủ (bỏ bản của tôi)", "Use the server's (drop mine)"],
  conflict_needs_network: ["Cần có mạng để tải bản trên máy chủ.", "A network connection is needed to fetch the server's version."],
  not_enrolled: ["Máy này chưa được đăng ký. Hãy mở đường dẫn hoặc quét mã QR do xã hoặc quản trị viên cấp.", "This device is not enrolled. Open the link or scan the QR code your commune or administrator gave you."],
  enrolled_as: ["Thiết bị của", "Device of"],
  communes: ["Xã được phân công", "Assigned communes"],
  sign_out: ["Đăng xuất khỏi thiết bị này", "Sign out of this device"],
  confirm_sign_out: ["Đăng xuất sẽ XOÁ khỏi máy này mọi hộ chưa gửi ({n} hộ) và mã thiết bị. Tiếp tục?", "Signing out DELETES from this device every unsent household ({n}) and the device token. Continue?"],
  signed_out: ["Đã đăng xuất khỏi thiết bị này.", "Signed out of this device."],
  sync_done: ["Đồng bộ xong: {sent} hộ đã gửi, {rejected} bị từ chối, {conflict} xung đột, {changes} thay đổi mới từ xã.", "Sync finished: {sent} sent, {rejected} rejected, {conflict} conflicts, {changes} new changes from the commune."],
  sync_nothing: ["Không có gì mới để gửi.", "Nothing new to send."],
  sync_network: ["Không kết nối được máy chủ. Các hộ chưa gửi vẫn nằm trên máy và sẽ được gửi khi có mạng.", "Cannot reach the server. Unsent households stay on this device and are sent when the network returns."],
  sync_revoked: ["Mã thiết bị đã bị thu hồi hoặc hết hạn: máy chủ không nhận dữ liệu từ máy này nữa. Các hộ chưa gửi ({n}) VẪN ĐƯỢC GIỮ trên máy; hãy đề nghị xã cấp mã mới rồi đồng bộ lại.", "The device token was revoked or has expired: the server no longer accepts this device. The unsent households ({n}) ARE KEPT on this device; ask for a new enrolment link, then sync again."],
  sync_server_error: ["Máy chủ báo lỗi: {message}", "Server error: {message}"],
  storage_denied: ["Trình duyệt không cho phép lưu dữ liệu (chế độ riêng tư hoặc đã chặn bộ nhớ). Không thể nhập hộ ngoại tuyến trên trình duyệt này: hãy mở ở cửa sổ thường.", "This browser does not allow storing data (private browsing or storage blocked). Households cannot be kept offline here: open the app in a normal window."],
  storage_full: ["Bộ nhớ của trình duyệt đã đầy: thay đổi vừa rồi CHƯA được lưu. Hãy đồng bộ các hộ đã hoàn tất để giải phóng chỗ rồi thử lại.", "The browser's storage is full: the last change was NOT saved. Sync finalized households to free space, then try again."],
  needs_network_first: ["Cần có mạng để tải hộ này lần đầu.", "A network connection is needed to load this household the first time."],
  questionnaire_missing: ["Chưa tải được phiếu hỏi: hãy mở ứng dụng một lần khi có mạng.", "The questionnaire is not loaded yet: open the app once while online."],
  unsent: ["chưa gửi", "unsent"],
};

let current = "vi";
try {
  current = localStorage.getItem("collect-lang") === "en" ? "en" : "vi";
} catch (error) {
  current = "vi"; // storage blocked: Vietnamese, not remembered
}

export function lang() {
  return current;
}

export function setLang(value) {
  current = value === "en" ? "en" : "vi";
  document.documentElement.lang = current;
  try {
    localStorage.setItem("collect-lang", current);
  } catch (error) {
    /* not remembered when storage is blocked */
  }
}

export function t(key, params = {}) {
  const pair = TEXTS[key];
  let text = pair ? pair[current === "en" ? 1 : 0] : key;
  for (const [name, value] of Object.entries(params)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

// A label from the questionnaire in the current language.
export function label(item, base = "label") {
  return (current === "en" ? item[`${base}_en`] : item[`${base}_vi`]) || item[`${base}_vi`] || "";
}

// Vietnamese number format: 20.400 and 5,61.
export function formatNumber(value) {
  return new Intl.NumberFormat(current === "en" ? "en-GB" : "vi-VN").format(value);
}

// A server UTC time in Asia/Ho_Chi_Minh.
export function formatTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(current === "en" ? "en-GB" : "vi-VN", {
    dateStyle: "short",
    timeStyle: "short",
    timeZone: "Asia/Ho_Chi_Minh",
  }).format(new Date(iso));
}
