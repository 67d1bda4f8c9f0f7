// Running a change: success toast, or the server's message with its field errors kept for the
// form (each el-form-item shows `errors[field]`).
import { reactive } from "vue";
import { ElMessage, ElMessageBox } from "element-plus";
import { ApiError } from "../api/client";
import { i18n } from "../i18n";

export function useAction(after: () => Promise<unknown> | unknown) {
  const errors = reactive<Record<string, string>>({});
  const clear = () => Object.keys(errors).forEach((key) => delete errors[key]);

  async function run(call: () => Promise<unknown>): Promise<boolean> {
    clear();
    try {
      await call();
    } catch (failure) {
      if (!(failure instanceof ApiError)) throw failure;
      Object.assign(errors, failure.fields);
      ElMessage.error(failure.message);
      return false;
    }
    ElMessage.success(i18n.global.t("common.saved"));
    await after();
    return true;
  }

  /** Asks first (destructive actions); false if the user declines. */
  async function confirmThen(question: string, call: () => Promise<unknown>): Promise<boolean> {
    try {
      await ElMessageBox.confirm(question, i18n.global.t("common.confirmTitle"), { type: "warning" });
    } catch {
      return false;
    }
    return run(call);
  }

  return { errors, clear, run, confirmThen };
}
