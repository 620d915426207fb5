export { runDoctor, type DoctorOptions, type DoctorResult } from './run.js';
