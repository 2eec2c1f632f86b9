// Module workers keep their ES modules (Vite's default bundles workers as IIFE scripts).
export default { worker: { format: "es" } };
